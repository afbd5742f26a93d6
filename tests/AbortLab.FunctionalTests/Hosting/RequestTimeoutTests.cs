using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.DependencyInjection;

namespace AbortLab.FunctionalTests.Hosting;

public sealed class RequestTimeoutTests
{
    public enum Placement
    {
        AbortLabOutside,
        AbortLabInside,
    }

    [Theory]
    [InlineData(Placement.AbortLabOutside)]
    [InlineData(Placement.AbortLabInside)]
    public async Task Timeout_IsClassifiedAsTimeout_Answers504_AndClosesTheConnection(Placement placement)
    {
        var started = new Signal<string>();
        var backgroundTokenFired = new Signal();
        await using var host = await KestrelTestHost.StartAsync(
            app =>
            {
                if (placement == Placement.AbortLabOutside)
                {
                    app.UseAbortLab();
                    app.UseRouting();
                    app.UseRequestTimeouts();
                }
                else
                {
                    app.UseRouting();
                    app.UseRequestTimeouts();
                    app.UseAbortLab();
                }

                app.MapGet("/slow", async (HttpContext context) =>
                {
                    var scope = context.GetAbortScope();
                    scope.Token.Register(backgroundTokenFired.Set);
                    started.Set(scope.RequestId);
                    await scope.RunAsync("slow", token => Task.Delay(Timeout.Infinite, context.RequestAborted));
                }).WithRequestTimeout(TimeSpan.FromMilliseconds(300));
            },
            configureServices: services => services.AddRequestTimeouts());

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /slow HTTP/1.1\r\nHost: test\r\n\r\n");
        var head = await client.ReadHeadAsync();
        var id = await started.WaitAsync();

        Assert.Equal(504, head.StatusCode);
        Assert.Equal("close", head.Headers["Connection"]);
        await backgroundTokenFired.WaitAsync();

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.ConnectionClosedAt is not null);
        Assert.Equal(AbortReason.Timeout, timeline.AbortReason);
        Assert.Equal(504, timeline.StatusCode);
        Assert.Equal(WorkOutcome.Canceled, timeline.Work.Single().Outcome);
        Assert.NotNull(timeline.AbortToConnectionClosedMs);

        // The server closed the connection, not the client.
        await client.ReadToEndAsync().WaitAsync(KestrelTestHost.WaitTimeout);
    }

    [Fact]
    public async Task TimeoutPolicyStatus_IsKept()
    {
        var started = new Signal<string>();
        await using var host = await KestrelTestHost.StartAsync(
            app =>
            {
                app.UseAbortLab();
                app.UseRouting();
                app.UseRequestTimeouts();
                app.MapGet("/slow", async (HttpContext context) =>
                {
                    started.Set(context.GetAbortScope().RequestId);
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }).WithRequestTimeout(new RequestTimeoutPolicy { Timeout = TimeSpan.FromMilliseconds(200), TimeoutStatusCode = 503 });
            },
            configureServices: services => services.AddRequestTimeouts());

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /slow HTTP/1.1\r\nHost: test\r\n\r\n");
        var head = await client.ReadHeadAsync();
        var id = await started.WaitAsync();

        Assert.Equal(503, head.StatusCode);
        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null);
        Assert.Equal(AbortReason.Timeout, timeline.AbortReason);
        Assert.Equal(503, timeline.StatusCode);
    }
}
