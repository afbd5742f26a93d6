using System.Net;
using AbortLab.Playwright;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace AbortLab.BrowserTests;

/// <summary>
/// The rig pointed at deliberately broken apps: each must fail the matching part of the verdict, with a message that
/// says what is wrong.
/// </summary>
[Collection(BrowserLabCollection.Name)]
public sealed class BrokenAppVerdictTests(BrowserLabFixture lab, ITestOutputHelper output)
{
    private static readonly TimeSpan ShortDeadline = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task EndpointThatIgnoresItsToken_FailsWorkStopped()
    {
        var verdict = await lab.Rig(Transport.Http1Direct).FireAsync(new AbortRequest(AbortKind.FetchBeforeResponse, "/lab/ignore?ms=8000")
        {
            ExpectedHops = ["app"],
            Deadline = ShortDeadline,
        });
        output.WriteLine(verdict.ToString());

        Assert.False(verdict.Passed);
        // Decided once the work outlived the stop bound, without waiting for the 3 s deadline.
        Assert.Contains(verdict.Failures, f => f.StartsWith("work 'ignores-token' on hop 'app' was still running ", StringComparison.Ordinal) && f.EndsWith("after the abort (bound 1000 ms): nothing asked for the request's token, so it was never told (pass it HttpContext.RequestAborted).", StringComparison.Ordinal));
        Assert.Contains(verdict.Failures, f => f.StartsWith("hop 'app''s pipeline (GET /lab/ignore", StringComparison.Ordinal));
        // The abort itself was seen at once: only the work is at fault.
        Assert.NotNull(verdict.DetectionMs);
        Assert.Contains(verdict.Artifacts, a => a.EndsWith(".trace.zip", StringComparison.Ordinal) && File.Exists(a));
        Assert.Contains(verdict.Artifacts, a => a.EndsWith(".png", StringComparison.Ordinal) && File.Exists(a));
        var exception = Assert.Throws<AbortVerdictException>(() => verdict.EnsurePassed());
        Assert.Contains(".trace.zip", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppWithoutAbortLab_FailsWithWhatToAdd()
    {
        await using var app = await StartAsync(builder => { }, app => app.MapGet("/slow", async (HttpContext context) =>
        {
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(TimeSpan.FromSeconds(60), context.RequestAborted);
        }));
        await using var rig = await AbortRig.LaunchAsync(BrowserLabFixture.RigOptions(Address(app)));

        var verdict = await rig.FireAsync(new AbortRequest(AbortKind.FetchBeforeResponse, "/slow") { Deadline = ShortDeadline });
        output.WriteLine(verdict.ToString());

        Assert.False(verdict.Passed);
        Assert.Contains(verdict.Failures, f => f.Contains("answered 404 Not Found", StringComparison.Ordinal)
            && f.Contains("not AbortLab's diagnostics API", StringComparison.Ordinal)
            && f.Contains("app.UseAbortLab()", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProxyHopThatDoesNotForwardTheAbort_FailsTheLastHop()
    {
        // A hand-made proxy: records its own timeline, but calls the app with no token and no AbortLab handler, so
        // the app never hears that the browser left.
        var upstream = lab.Lab.App;
        await using var proxy = await StartAsync(
            builder => builder.Services.AddAbortLab(o => o.HopName = "edge"),
            app =>
            {
                app.UseAbortLab();
                app.MapAbortLab();
                app.MapGet("/lab/{**rest}", async (HttpContext context) =>
                {
                    using var client = new HttpClient { BaseAddress = upstream };
                    using var work = context.GetAbortScope().Track("forward, token dropped");
                    var body = await client.GetStringAsync(context.Request.Path + context.Request.QueryString, CancellationToken.None);
                    return Results.Text(body);
                });
            });
        var options = BrowserLabFixture.RigOptions(Address(proxy));
        options.DiagnosticsAddresses.Add(Address(proxy));
        options.DiagnosticsAddresses.Add(upstream);
        await using var rig = await AbortRig.LaunchAsync(options);

        var verdict = await rig.FireAsync(new AbortRequest(AbortKind.FetchBeforeResponse, "/lab/slow?ms=6000")
        {
            ExpectedHops = ["edge", "app"],
            Deadline = ShortDeadline,
        });
        output.WriteLine(verdict.ToString());

        Assert.False(verdict.Passed);
        Assert.Equal(AbortReason.ClientDisconnected, verdict.Timelines[0].AbortReason);
        Assert.Contains("hop 'app' never saw the abort: the hop in front of it did not pass it on (status none yet, still running).", verdict.Failures);
        Assert.Null(verdict.LastHopDetectionMs);
    }

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());

    private static async Task<WebApplication> StartAsync(Action<WebApplicationBuilder> configure, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        configure(builder);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }
}
