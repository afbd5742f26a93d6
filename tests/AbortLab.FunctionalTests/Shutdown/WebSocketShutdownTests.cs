using System.Net.WebSockets;
using AbortLab.Streams;
using AbortLab.Testing;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Shutdown;

/// <summary>
/// WebSocket sessions at shutdown: each client gets the 1001 close frame; only those that answer it count as
/// acknowledged, and a session waiting (a bounded second) for a reply that never comes is not a zombie.
/// </summary>
public sealed class WebSocketShutdownTests(ITestOutputHelper output)
{
    private const int Answering = 4;
    private const int Silent = 3;

    private readonly CountdownSignal _sessionsStarted = new(Answering + Silent);

    [Fact]
    public async Task Shutdown_CountsOnlyTheCloseRepliesThatCame_AndFlagsNoSilentClientAsAZombie()
    {
        await using var host = await KestrelTestHost.StartAsync(
            app =>
            {
                app.UseAbortLab();
                app.UseWebSockets();
                app.Map("/ws", (HttpContext context) => WebSocketSession.RunAsync(context, async (session, token) =>
                {
                    _sessionsStarted.Signal();
                    while (true)
                    {
                        await session.SendAsync("tick");
                        await Task.Delay(200, token); // intentional: the session's own tick, not a wait of the test
                    }
                }));
            },
            configureServices: services => services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10)));

        var answering = new List<(ClientWebSocket Socket, Task<WebSocketCloseStatus?> Closed)>();
        for (var i = 0; i < Answering; i++)
        {
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Port}/ws"), CancellationToken.None);
            answering.Add((socket, WebSocketClients.AnswerTheCloseAsync(socket)));
        }

        var silent = new List<RawHttpConnection>();
        for (var i = 0; i < Silent; i++)
        {
            silent.Add(await WebSocketClients.OpenSilentAsync(host.Port, "/ws"));
        }

        await _sessionsStarted.WaitAsync();
        await host.StopAsync().WaitAsync(KestrelTestHost.WaitTimeout);

        foreach (var (socket, closed) in answering)
        {
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await closed.WaitAsync(KestrelTestHost.WaitTimeout));
            Assert.Equal(WebSocketSession.ShutdownDescription, socket.CloseStatusDescription);
            socket.Dispose();
        }

        var report = host.Services.GetRequiredService<TimelineStore>().LastShutdownReport;
        Assert.NotNull(report);
        output.WriteLine(System.Text.Json.JsonSerializer.Serialize(report));
        Assert.Equal(Answering + Silent, report.StreamsNotified);
        Assert.Equal(Answering, report.StreamsAcknowledged);
        Assert.Equal(0, report.ZombiesLeft);
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Id.Name == "ZombieDetected");
        Assert.All(host.Store.GetRecent(new TimelineQuery { Limit = 100 }), t => Assert.False(t.Zombie, $"{t.Id} flagged a zombie"));
        foreach (var client in silent)
        {
            client.Dispose();
        }
    }
}
