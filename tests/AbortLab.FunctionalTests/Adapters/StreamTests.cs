using System.Net.WebSockets;
using System.Text;
using AbortLab.Streams;
using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Adapters;

public sealed class StreamTests(ITestOutputHelper output)
{
    private readonly Signal<string> _started = new();
    private int _sent;

    [Fact]
    public async Task SseLoop_EndsWhenTheClientCloses_NotWhenAWriteFails()
    {
        await using var host = await StartSseHostAsync();
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /sse HTTP/1.1\r\nHost: test\r\n\r\n");
        var head = await client.ReadHeadAsync();
        Assert.Equal("text/event-stream", head.Headers["Content-Type"]);
        var id = await _started.WaitAsync();

        client.CloseWithRst();

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null);
        var sentAtStop = Volatile.Read(ref _sent);
        output.WriteLine($"sse loop stopped {timeline.AbortToWorkStoppedMs} ms after the abort");
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Equal(WorkOutcome.Canceled, timeline.Work.Single(w => w.Name == "sse").Outcome);
        Assert.InRange(timeline.AbortToWorkStoppedMs!.Value, 0, 100);
        Assert.Equal(sentAtStop, Volatile.Read(ref _sent));
    }

    [Fact]
    public async Task SseStream_OnShutdown_SendsAShutdownEventBeforeTheSocketCloses()
    {
        await using var host = await StartSseHostAsync();
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /sse HTTP/1.1\r\nHost: test\r\n\r\n");
        await client.ReadHeadAsync();
        var id = await _started.WaitAsync();

        var stopping = host.StopAsync();
        var received = Encoding.UTF8.GetString(await client.ReadAllUntilClosedAsync().WaitAsync(KestrelTestHost.WaitTimeout));
        await stopping.WaitAsync(KestrelTestHost.WaitTimeout);

        Assert.Contains("event: shutdown\ndata: server shutting down\n\n", received, StringComparison.Ordinal);
        Assert.EndsWith("0\r\n\r\n", received, StringComparison.Ordinal);
        Assert.Equal(AbortReason.ServerShutdown, host.Store.Find(id)!.AbortReason);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WebSocketLoop_EndsWhenTheClientClosesOrVanishes(bool sendCloseFrame)
    {
        await using var host = await StartWebSocketHostAsync();
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Port}/ws"), CancellationToken.None);
        var id = await _started.WaitAsync();
        var buffer = new byte[64];
        var first = await client.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal("tick", Encoding.UTF8.GetString(buffer, 0, first.Count));

        if (sendCloseFrame)
        {
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        }
        else
        {
            client.Abort();
        }

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null);
        output.WriteLine($"websocket loop stopped {timeline.AbortToWorkStoppedMs} ms after the abort");
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Equal(WorkOutcome.Canceled, timeline.Work.Single(w => w.Name == "websocket").Outcome);
        Assert.InRange(timeline.AbortToWorkStoppedMs!.Value, 0, 100);
    }

    [Fact]
    public async Task WebSocket_OnShutdown_GetsACloseFrameFirst()
    {
        await using var host = await StartWebSocketHostAsync();
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Port}/ws"), CancellationToken.None);
        var id = await _started.WaitAsync();

        var stopping = host.StopAsync();
        WebSocketReceiveResult result;
        var buffer = new byte[64];
        do
        {
            result = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(KestrelTestHost.WaitTimeout);
        }
        while (result.MessageType != WebSocketMessageType.Close);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "ack", CancellationToken.None);
        await stopping.WaitAsync(KestrelTestHost.WaitTimeout);

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, result.CloseStatus);
        Assert.Equal("shutdown", result.CloseStatusDescription);
        Assert.Equal(AbortReason.ServerShutdown, host.Store.Find(id)!.AbortReason);
    }

    [Fact]
    public async Task WebSocketThatTheServerEnds_IsNotReportedAborted()
    {
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.UseWebSockets();
            app.Map("/ws", (HttpContext context) => WebSocketSession.RunAsync(context, async (session, token) =>
            {
                _started.Set(session.Scope.RequestId);
                await session.SendAsync("only");
            }));
        });
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Port}/ws"), CancellationToken.None);
        var id = await _started.WaitAsync();
        var buffer = new byte[64];
        Assert.Equal(WebSocketMessageType.Text, (await client.ReceiveAsync(buffer, CancellationToken.None)).MessageType);
        var close = await client.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, close.CloseStatus);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "ack", CancellationToken.None);

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null);
        Assert.Null(timeline.AbortReason);
        Assert.Equal(WorkOutcome.Completed, timeline.Work.Single().Outcome);
    }

    private Task<KestrelTestHost> StartSseHostAsync() => KestrelTestHost.StartAsync(app =>
    {
        app.UseAbortLab();
        app.MapGet("/sse", (HttpContext context) => ServerSentEventStream.RunAsync(context, async (stream, token) =>
        {
            _started.Set(stream.Scope.RequestId);
            for (var i = 0; ; i++)
            {
                await stream.SendAsync($"tick {i}", id: i.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken: token);
                Interlocked.Increment(ref _sent);
                await Task.Delay(10, token);
            }
        }));
    });

    private Task<KestrelTestHost> StartWebSocketHostAsync() => KestrelTestHost.StartAsync(app =>
    {
        app.UseAbortLab();
        app.UseWebSockets();
        app.Map("/ws", (HttpContext context) => WebSocketSession.RunAsync(context, async (session, token) =>
        {
            _started.Set(session.Scope.RequestId);
            while (true)
            {
                await session.SendAsync("tick");
                await Task.Delay(10, token);
            }
        }));
    });
}
