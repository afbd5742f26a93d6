using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using AbortLab.FunctionalTests.Yarp;
using AbortLab.Streams;
using AbortLab.Testing;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Shutdown;

/// <summary>
/// A proxy (YARP + AbortLab.Yarp) stopping while SSE streams and WebSockets of the app behind it are open: the proxy
/// says goodbye to each client itself, as the app would (<c>event: shutdown</c>, a 1001 close frame), counts only the
/// replies that came, and stops long before its drain timeout. Before, it waited the whole drain and then reset them.
/// </summary>
public sealed class ProxiedStreamShutdownTests(ITestOutputHelper output)
{
    private const int SseClients = 20;
    private const int AnsweringWebSockets = 5;
    private const int SilentWebSockets = 2;

    private readonly CountdownSignal _started = new(SseClients + AnsweringWebSockets + SilentWebSockets);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ProxyShutdown_TellsEveryProxiedStream_CountsTheRepliesThatCame_AndStopsEarly(bool http2Upstream)
    {
        await using var app = await KestrelTestHost.StartAsync(
            pipeline =>
            {
                pipeline.UseAbortLab();
                pipeline.UseWebSockets();
                pipeline.MapGet("/sse", (HttpContext context) => ServerSentEventStream.RunAsync(context, async (stream, token) =>
                {
                    _started.Signal();
                    for (var i = 0; ; i++)
                    {
                        await stream.SendAsync($"tick {i}", "tick", cancellationToken: token);
                        await Task.Delay(100, token); // intentional: the stream's own tick, not a wait of the test
                    }
                }));
                pipeline.Map("/ws", (HttpContext context) => WebSocketSession.RunAsync(context, async (session, token) =>
                {
                    _started.Signal();
                    for (var i = 0; ; i++)
                    {
                        await session.SendAsync($"tick {i}");
                        await Task.Delay(100, token); // intentional: the session's own tick, not a wait of the test
                    }
                }));
            },
            options => options.HopName = "app",
            http2Upstream ? Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2 : Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
        var proxy = await ProxyChain.StartProxyAsync(app.BaseAddress, http2Upstream);
        try
        {
            var sse = new List<(RawHttpConnection Client, Task<byte[]> Received)>();
            for (var i = 0; i < SseClients; i++)
            {
                var client = await RawHttpConnection.ConnectAsync(proxy.Port);
                await client.SendAsync("GET /sse HTTP/1.1\r\nHost: proxy\r\n\r\n");
                sse.Add((client, client.ReadAllUntilClosedAsync()));
            }

            var answering = new List<(ClientWebSocket Socket, Task<WebSocketCloseStatus?> Closed)>();
            for (var i = 0; i < AnsweringWebSockets; i++)
            {
                var socket = new ClientWebSocket();
                await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{proxy.Port}/ws"), CancellationToken.None);
                answering.Add((socket, WebSocketClients.AnswerTheCloseAsync(socket)));
            }

            var silent = new List<RawHttpConnection>();
            for (var i = 0; i < SilentWebSockets; i++)
            {
                silent.Add(await WebSocketClients.OpenSilentAsync(proxy.Port, "/ws"));
            }

            await _started.WaitAsync();
            var stopping = Stopwatch.StartNew();
            await proxy.StopAsync().WaitAsync(KestrelTestHost.WaitTimeout);
            stopping.Stop();
            output.WriteLine($"proxy stopped in {stopping.ElapsedMilliseconds} ms");

            foreach (var (client, received) in sse)
            {
                var text = Encoding.UTF8.GetString(await received.WaitAsync(KestrelTestHost.WaitTimeout));
                output.WriteLine(text);
                Assert.Contains("event: shutdown\ndata: server shutting down\n\n", text, StringComparison.Ordinal);
                // The goodbye is a whole event after whole events, and the chunked body ends properly.
                Assert.DoesNotContain("data: tick", text[text.IndexOf("event: shutdown", StringComparison.Ordinal)..], StringComparison.Ordinal);
                Assert.EndsWith("0\r\n\r\n", text, StringComparison.Ordinal);
                client.Dispose();
            }

            foreach (var (socket, closed) in answering)
            {
                Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await closed.WaitAsync(KestrelTestHost.WaitTimeout));
                Assert.Equal(WebSocketSession.ShutdownDescription, socket.CloseStatusDescription);
                socket.Dispose();
            }

            var report = proxy.Services.GetRequiredService<TimelineStore>().LastShutdownReport;
            Assert.NotNull(report);
            output.WriteLine(System.Text.Json.JsonSerializer.Serialize(report));
            Assert.Equal(SseClients + AnsweringWebSockets + SilentWebSockets, report.StreamsNotified);
            Assert.Equal(SseClients + AnsweringWebSockets, report.StreamsAcknowledged);
            Assert.Equal(0, report.RequestsAborted);
            Assert.Equal(0, report.ZombiesLeft);
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"the proxy took {stopping.Elapsed} to stop (drain timeout 10 s)");

            var streams = proxy.Store.GetRecent(new TimelineQuery { Limit = 100 });
            Assert.Equal(SseClients + AnsweringWebSockets + SilentWebSockets, streams.Count);
            Assert.All(streams, t => Assert.Equal(AbortReason.ServerShutdown, t.AbortReason));
            Assert.All(streams, t => Assert.False(t.Zombie));
            Assert.DoesNotContain(proxy.Logs.GetSnapshot(), r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Error);

            // The app saw its client, the proxy, leave.
            var behind = await app.Store.WaitForTimelineAsync(t => t.CompletedAt is not null, KestrelTestHost.WaitTimeout);
            Assert.Equal(AbortReason.ClientDisconnected, behind.AbortReason);
            foreach (var client in silent)
            {
                client.Dispose();
            }
        }
        finally
        {
            await proxy.DisposeAsync();
        }
    }
}
