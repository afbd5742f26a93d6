using System.Collections.Concurrent;
using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AbortLab.FunctionalTests.Connections;

public sealed class ConnectionCloseTests
{
    [Theory]
    [InlineData(ConnectionEnd.Fin)]
    [InlineData(ConnectionEnd.Rst)]
    [InlineData(ConnectionEnd.HalfClose)]
    public async Task ClientLeaving_FiresTheScopeBeforeKestrelsOwnRequestAborted(ConnectionEnd end)
    {
        var fired = new ConcurrentQueue<string>();
        var bothFired = new CountdownSignal(2);
        var serverToken = new object();
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            // In front of AbortLab: the token Kestrel itself cancels.
            app.Use((context, next) =>
            {
                context.Items[serverToken] = context.RequestAborted;
                return next(context);
            });
            app.UseAbortLab();
            app.MapGet("/hold", async (HttpContext context) =>
            {
                var scope = context.GetAbortScope();
                using var onScope = scope.Token.Register(() => { fired.Enqueue("scope"); bothFired.Signal(); });
                using var onServer = ((CancellationToken)context.Items[serverToken]!).Register(() => { fired.Enqueue("server"); bothFired.Signal(); });
                await context.Response.WriteAsync("x");
                await context.Response.Body.FlushAsync();
                try
                {
                    await Task.Delay(Timeout.Infinite, scope.Token);
                }
                catch (OperationCanceledException)
                {
                }

                // The server's token may fire only after the scope's: wait for it before the registration goes.
                await bothFired.WaitAsync();
            });
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /hold HTTP/1.1\r\nHost: test\r\nAbortLab-Tag: leave\r\n\r\n");
        await client.ReadHeadAsync();
        client.End(end);

        await bothFired.WaitAsync();
        Assert.Equal(["scope", "server"], fired.ToArray());
        var timeline = await host.WaitForTimelineAsync(t => t.Tag == "leave" && t.CompletedAt is not null);
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
    }

    [Fact]
    public async Task KeptAliveConnection_ClosingAfterItsRequest_AbortsNothing()
    {
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapGet("/done", () => "done");
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /done HTTP/1.1\r\nHost: test\r\nAbortLab-Tag: done\r\n\r\n");
        var head = await client.ReadHeadAsync();
        Assert.Equal(200, head.StatusCode);
        await client.ReadBodyAsync(4);
        client.CloseWithFin();

        var timeline = await host.WaitForTimelineAsync(t => t.Tag == "done" && t.ConnectionClosedAt is not null);
        Assert.Null(timeline.AbortReason);
        Assert.Equal(200, timeline.StatusCode);
    }
}
