using AbortLab.Playwright;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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

    [Fact]
    public async Task AfterTheServerRestarts_TheDashboardShowsNewRequestsWithin5s_WithoutAReload()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var server = await StartServerAsync(port);
        await using var context = await lab.Rig(Transport.Http1Direct).NewContextAsync();
        var page = await context.NewPageAsync();
        var screenshot = Path.Combine(RepositoryPaths.Artifacts, "dashboard-restart.png");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        try
        {
            await page.GotoAsync($"http://127.0.0.1:{port}/abortlab/");
            var status = page.GetByTestId("stream-status");
            await Assertions.Expect(status).ToHaveTextAsync("live", new() { Timeout = WaitMs });
            await SendTaggedAsync(http, "before-restart");
            await Assertions.Expect(Row(page, "before-restart", "restarting")).ToHaveCountAsync(1, new() { Timeout = WaitMs });

            // A new process: a new store, a new epoch. EventSource reconnects on its own with its old Last-Event-ID.
            await server.StopAsync();
            await server.DisposeAsync();
            await Assertions.Expect(status).ToHaveTextAsync("reconnecting…", new() { Timeout = WaitMs });
            server = await StartServerAsync(port);

            await Assertions.Expect(page.GetByTestId("resync-notice")).ToBeVisibleAsync(new() { Timeout = WaitMs });
            await SendTaggedAsync(http, "after-restart");
            await Assertions.Expect(Row(page, "after-restart", "restarting")).ToHaveCountAsync(1, new() { Timeout = 5_000 });
            await Assertions.Expect(Row(page, "before-restart", "restarting")).ToHaveCountAsync(0);
            await Assertions.Expect(status).ToContainTextAsync("live");
        }
        catch (Exception exception) when (exception is PlaywrightException or TimeoutException or Xunit.Sdk.XunitException)
        {
            Directory.CreateDirectory(RepositoryPaths.Artifacts);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
            throw new InvalidOperationException($"Dashboard restart check failed; screenshot: {screenshot}. {exception.Message}", exception);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static async Task SendTaggedAsync(HttpClient http, string tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/hello");
        request.Headers.Add("AbortLab-Tag", tag);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    private static async Task<Microsoft.AspNetCore.Builder.WebApplication> StartServerAsync(int port)
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port));
        builder.Logging.ClearProviders();
        builder.Services.AddAbortLab(o => o.HopName = "restarting");
        var app = builder.Build();
        app.UseAbortLab();
        app.MapGet("/hello", () => "hello");
        app.MapAbortLab();
        await app.StartAsync();
        return app;
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
