using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.RegularExpressions;
using AbortLab.Testing;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Lab.Outside;

/// <summary>
/// SIGTERM to the lab process while users hold streams through the edge and keyed orders are in flight: every
/// stream is told before its hop stops, only the clients that answered count as acknowledged, no order is lost or
/// made twice, nothing logs an Error, and the process exits long before the drain timeout.
/// </summary>
public sealed partial class LabShutdownFromOutsideTests(ITestOutputHelper output)
{
    private const int SseClients = 50;
    private const int AnsweringWebSockets = 8;
    private const int SilentWebSockets = 2;
    private const int Orders = 20;
    private const int CommitDelayMs = 1500;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Sigterm_WithStreamsAndOrdersThroughTheEdge_TellsEveryStream_AndLosesOrDoublesNothing()
    {
        await using var lab = await OutsideLab.StartAsync(output);
        using var http = new HttpClient { BaseAddress = lab.Edge, Timeout = TimeSpan.FromSeconds(60) };

        var sse = new List<(RawHttpConnection Client, Task<byte[]> Received)>();
        for (var i = 0; i < SseClients; i++)
        {
            var client = await RawHttpConnection.ConnectAsync(lab.Edge.Port);
            await client.SendAsync($"GET /lab/sse?abortlab-tag=sse-{i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            sse.Add((client, client.ReadAllUntilClosedAsync()));
        }

        var answering = new List<(ClientWebSocket Socket, Task<WebSocketCloseStatus?> Closed)>();
        for (var i = 0; i < AnsweringWebSockets; i++)
        {
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{lab.Edge.Port}/lab/ws"), CancellationToken.None);
            answering.Add((socket, WebSocketClients.AnswerTheCloseAsync(socket)));
        }

        var silent = new List<RawHttpConnection>();
        for (var i = 0; i < SilentWebSockets; i++)
        {
            silent.Add(await WebSocketClients.OpenSilentAsync(lab.Edge.Port, "/lab/ws"));
        }

        // Every stream has sent its first event, and every order is being committed, before the signal.
        foreach (var (_, received) in sse.Take(1))
        {
            Assert.False(received.IsCompleted);
        }

        var keys = Enumerable.Range(0, Orders).Select(i => $"outside-{Guid.NewGuid():N}").ToList();
        var orders = keys.Select(key => LabOrders.OutcomeAsync(http, key, CommitDelayMs)).ToList();
        await WaitUntilAsync(async () => await InFlightAsync(http, "/lab/order") >= Orders);

        var exitedAfter = await lab.TerminateAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"exited {exitedAfter.TotalMilliseconds:0} ms after SIGTERM, code {lab.ExitCode}");

        foreach (var (client, received) in sse)
        {
            var text = Encoding.UTF8.GetString(await received.WaitAsync(KestrelTestHost.WaitTimeout));
            Assert.Contains("event: shutdown\ndata: server shutting down\n\n", text, StringComparison.Ordinal);
            client.Dispose();
        }

        foreach (var (socket, closed) in answering)
        {
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await closed.WaitAsync(KestrelTestHost.WaitTimeout));
            socket.Dispose();
        }

        var outcomes = await Task.WhenAll(orders).WaitAsync(KestrelTestHost.WaitTimeout);
        output.WriteLine($"orders: {LabOrders.Summary(outcomes)}");
        var rows = await LabOrders.RowsPerKeyAsync(lab.OpenDatabase());
        for (var i = 0; i < Orders; i++)
        {
            var made = rows.GetValueOrDefault(keys[i]);
            Assert.True(made <= 1, $"{keys[i]} made {made} orders");
            if (outcomes[i] == LabOrders.Ran)
            {
                Assert.True(made == 1, $"{keys[i]} was answered 201 but made no order");
            }
        }

        // In flight when the signal came, each order had its drain to finish in: all ran.
        Assert.All(outcomes, outcome => Assert.Equal(LabOrders.Ran, outcome));

        var reports = lab.ShutdownReports();
        output.WriteLine(string.Join("\n", reports.Values));
        var edge = Parse(reports["edge"]);
        Assert.Equal(SseClients + AnsweringWebSockets + SilentWebSockets, edge.Told);
        Assert.Equal(SseClients + AnsweringWebSockets, edge.Acknowledged);
        Assert.Equal(Orders, edge.Drained);
        Assert.Equal(0, edge.Aborted);
        Assert.Equal(0, edge.Zombies);
        Assert.All(reports.Values.Select(Parse), report => Assert.Equal(0, report.Zombies));
        Assert.Empty(lab.ZombieEntries());
        Assert.Empty(lab.ErrorEntries());
        Assert.Equal(0, lab.ExitCode);
        Assert.True(exitedAfter < DrainTimeout / 2, $"the lab took {exitedAfter} to stop; its drain timeout is {DrainTimeout}");
        foreach (var client in silent)
        {
            client.Dispose();
        }
    }

    private static async Task<int> InFlightAsync(HttpClient http, string path)
    {
        var requests = await http.GetStringAsync("/abortlab/api/requests?hop=app&limit=500");
        using var json = System.Text.Json.JsonDocument.Parse(requests);
        return json.RootElement.GetProperty("requests").EnumerateArray()
            .Count(r => r.GetProperty("path").GetString()!.StartsWith(path, StringComparison.Ordinal) && r.GetProperty("completedAt").ValueKind == System.Text.Json.JsonValueKind.Null);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(KestrelTestHost.WaitTimeout);
        while (!await condition())
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    private static (int Told, int Acknowledged, int Drained, int Aborted, int Zombies) Parse(string report)
    {
        var match = ReportNumbers().Match(report);
        Assert.True(match.Success, report);
        int At(int group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
        return (At(1), At(2), At(3), At(4), At(5));
    }

    [GeneratedRegex(@"(\d+) stream\(s\) told, (\d+) acknowledged; (\d+) request\(s\) drained, (\d+) aborted, (\d+) zombie")]
    private static partial Regex ReportNumbers();
}
