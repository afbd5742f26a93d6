using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AbortLab.FunctionalTests.Connections;

public sealed class SocketPolicyTests
{
    [Fact]
    public async Task AbortedRequest_OnKeepAliveConnection_AnswersConnectionCloseAndTheServerClosesIt()
    {
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapGet("/upstream-failed", async (HttpContext context) =>
            {
                var scope = context.GetAbortScope();
                await scope.RunAsync("upstream", async token =>
                {
                    scope.Abort(AbortReason.UpstreamCanceled);
                    await Task.Delay(Timeout.Infinite, token);
                });
            });
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /upstream-failed HTTP/1.1\r\nHost: test\r\nAbortLab-Tag: policy\r\n\r\n");
        var head = await client.ReadHeadAsync();

        Assert.Equal(502, head.StatusCode);
        Assert.Equal("close", head.Headers["Connection"]);

        // The client would reuse the connection; the server closes it instead.
        await client.ReadToEndAsync().WaitAsync(KestrelTestHost.WaitTimeout);
        var timeline = await host.WaitForTimelineAsync(t => t.Tag == "policy" && t.ConnectionClosedAt is not null);
        Assert.Equal(AbortReason.UpstreamCanceled, timeline.AbortReason);
        Assert.Equal(502, timeline.StatusCode);
        Assert.NotNull(timeline.AbortToConnectionClosedMs);
    }

    [Fact]
    public async Task AbortAfterResponseStarted_CutsTheResponseInsteadOfEndingItCleanly()
    {
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapGet("/cut", async (HttpContext context) =>
            {
                await context.Response.WriteAsync("partial");
                await context.Response.Body.FlushAsync();
                context.GetAbortScope().Abort(AbortReason.Application);
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            });
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /cut HTTP/1.1\r\nHost: test\r\nAbortLab-Tag: cut\r\n\r\n");

        // The connection ends (FIN or RST) before a terminating chunk could make the response look complete.
        var received = System.Text.Encoding.ASCII.GetString(await client.ReadAllUntilClosedAsync().WaitAsync(KestrelTestHost.WaitTimeout));
        Assert.DoesNotContain("\r\n0\r\n\r\n", received, StringComparison.Ordinal);
        var timeline = await host.WaitForTimelineAsync(t => t.Tag == "cut" && t.ConnectionClosedAt is not null);
        Assert.Equal(AbortReason.Application, timeline.AbortReason);
    }
}
