using AbortLab.Playwright;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AbortLab.BrowserTests;

/// <summary>
/// The dashboard in real Chromium: it renders, shows a fired abort live without a reload, and catches up on what it
/// missed after its event stream was cut.
/// </summary>
[Collection(BrowserLabCollection.Name)]
public sealed class DashboardTests(BrowserLabFixture lab, ITestOutputHelper output)
{
    private const float WaitMs = 15_000;

    [Fact]
    public async Task Dashboard_ShowsAbortsLive_AndCatchesUpAfterItsStreamIsCut()
    {
        var rig = lab.Rig(Transport.Http1Edge);
        await using var relay = new TcpRelay(lab.Lab.EdgeHttp);
        await using var context = await rig.NewContextAsync();
        var page = await context.NewPageAsync();
        var screenshot = Path.Combine(RepositoryPaths.Artifacts, "dashboard.png");
        try
        {
            await page.GotoAsync(new Uri(relay.Address, "/abortlab/").ToString());
            var status = page.GetByTestId("stream-status");
            await Assertions.Expect(status).ToHaveTextAsync("live", new() { Timeout = WaitMs });
            Assert.Equal(1, await page.GetByTestId("histogram").CountAsync());

            var first = await FireAsync(rig, "live");
            await Assertions.Expect(Row(page, first, "app")).ToHaveAttributeAsync("data-reason", "ClientDisconnected", new() { Timeout = WaitMs });
            await Assertions.Expect(Row(page, first, "edge")).ToHaveAttributeAsync("data-reason", "ClientDisconnected", new() { Timeout = WaitMs });

            // The page reaches the dashboard through a relay; cutting it resets the open EventSource. An abort fired
            // while the stream is down must still show once EventSource reconnects, replayed from the last event id.
            await page.RouteAsync("**/abortlab/api/stream**", route => route.AbortAsync());
            Assert.True(relay.CutAll() > 0);
            await Assertions.Expect(status).ToHaveTextAsync("reconnecting…", new() { Timeout = WaitMs });
            var missed = await FireAsync(rig, "missed");
            await Assertions.Expect(Row(page, missed, "app")).ToHaveCountAsync(0);
            await page.UnrouteAsync("**/abortlab/api/stream**");
            await Assertions.Expect(status).ToHaveTextAsync("live", new() { Timeout = WaitMs });
            await Assertions.Expect(Row(page, missed, "app")).ToHaveAttributeAsync("data-reason", "ClientDisconnected", new() { Timeout = WaitMs });
            Assert.True(int.Parse(await page.GetByTestId("count-aborted").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture) >= 2);

            Directory.CreateDirectory(RepositoryPaths.Artifacts);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
            output.WriteLine($"screenshot: {screenshot}");
        }
        catch (Exception exception) when (exception is PlaywrightException or TimeoutException or Xunit.Sdk.XunitException)
        {
            Directory.CreateDirectory(RepositoryPaths.Artifacts);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
            throw new InvalidOperationException($"Dashboard check failed; screenshot: {screenshot}. {exception.Message}", exception);
        }
    }

    private static ILocator Row(IPage page, string tag, string hop) =>
        page.Locator($"[data-testid=request-row][data-tag='{tag}'][data-hop='{hop}']");

    private async Task<string> FireAsync(AbortRig rig, string name)
    {
        var tag = $"dashboard-{name}-{Guid.NewGuid().ToString("N")[..8]}";
        var verdict = await rig.FireAsync(new AbortRequest(AbortKind.FetchBeforeResponse, "/lab/cpu?ms=60000") { ExpectedHops = ["edge", "app"], Tag = tag });
        output.WriteLine(verdict.ToString());
        verdict.EnsurePassed();
        return tag;
    }
}
