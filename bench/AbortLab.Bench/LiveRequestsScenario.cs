using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AbortLab.Timelines;
using Microsoft.Extensions.DependencyInjection;

namespace AbortLab.Bench;

/// <summary>
/// Scenario 9: clients that never leave. Requests on fresh connections and on kept-alive ones, with and without a
/// load generator beside them; every one must be answered 200 in full, and AbortLab must record none of them as
/// aborted (read from its own event stream).
/// </summary>
internal static class LiveRequestsScenario
{
    public sealed record Outcome(long Requests, long NotAnswered200, long RecordedAborted);

    public static async Task<(ScenarioReport Report, Outcome Outcome)> RunAsync(BenchSettings settings)
    {
        var perRow = settings.Quick ? 2_000 : 25_000;
        var report = new ScenarioReport(
            "live",
            "9. Live clients are never aborted",
            $"Kestrel + AbortLab, `/small`. {perRow} requests per row: fresh connections (a raw socket each, `Connection: close`, read to the end) or kept alive (HttpClient, 4 at a time); "
            + $"with load, a load generator in its own process sends to the same server at the same time (8 connections, as fast as it can) for {LoadSeconds(settings)} s, and the row sends what it can within that time, up to {perRow}. Every answer must be a full 200, and AbortLab must record none of these requests as aborted (its RequestAborted events, matched by tag).");
        var recorder = new FireRecorder();
        await using var server = await KestrelServer.StartAsync(ServerVariant.AbortLab, recorder);
        var store = server.Services.GetRequiredService<TimelineStore>();
        using var stop = new CancellationTokenSource();
        long aborted = 0;
        var watcher = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in store.ReadEventsAsync(store.LastSequence, stop.Token))
                {
                    if (e.Kind == TimelineEventKind.RequestAborted && store.Find(e.RequestId)?.Tag?.StartsWith("live-", StringComparison.Ordinal) == true)
                    {
                        Interlocked.Increment(ref aborted);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        long total = 0, bad = 0;
        foreach (var (label, keepAlive, load) in new[] { ("fresh connections", false, false), ("kept alive", true, false), ("fresh connections, under load", false, true), ("kept alive, under load", true, true) })
        {
            var abortedBefore = Interlocked.Read(ref aborted);
            var duration = TimeSpan.FromSeconds(LoadSeconds(settings));
            var background = load ? LoadGenerator.RunAsync(new Uri($"http://127.0.0.1:{server.Port}/small"), duration, 8) : null;
            var started = Stopwatch.GetTimestamp();
            var deadline = load ? started + (long)(duration.TotalSeconds * 0.9 * Stopwatch.Frequency) : long.MaxValue;
            var (sent, notOk) = keepAlive ? await KeptAliveAsync(server.Port, perRow, deadline) : await FreshAsync(server.Port, perRow, deadline);
            var seconds = Clock.Ms(started, Stopwatch.GetTimestamp()) / 1000;
            if (background is not null)
            {
                await background;
            }

            total += sent;
            bad += notOk;
            report.Add(label).Set("requests", sent).Set("not a full 200", notOk).Set("recorded aborted", Interlocked.Read(ref aborted) - abortedBefore).Set("seconds", seconds);
        }

        // Events are appended before the answer is sent; a short grace lets the reader drain the last ones.
        await Task.Delay(500);
        await stop.CancelAsync();
        await watcher;
        if (FirstBad is not null)
        {
            report.Notes.Add($"The first answer that was not a full 200: {FirstBad.ReplaceLineEndings(" | ")}");
        }

        return (report, new Outcome(total, bad, Interlocked.Read(ref aborted)));
    }

    /// <summary>The first answer that was not a full 200, for the report.</summary>
    public static string? FirstBad { get; private set; }

    private static int LoadSeconds(BenchSettings settings) => settings.Quick ? 3 : 20;

    private static async Task<(long Sent, long Bad)> FreshAsync(int port, int count, long deadline)
    {
        long bad = 0;
        var sent = 0;
        var request = Encoding.ASCII.GetBytes("GET /small HTTP/1.1\r\nHost: bench\r\nAbortLab-Tag: live-fresh\r\nConnection: close\r\n\r\n");
        var buffer = new byte[4096];
        for (; sent < count && Stopwatch.GetTimestamp() < deadline; sent++)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                await socket.SendAsync(request, SocketFlags.None);
                var received = new StringBuilder();
                int read;
                while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                {
                    received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                var text = received.ToString();
                if (!text.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) || !(text.EndsWith("hello", StringComparison.Ordinal) || text.EndsWith("5\r\nhello\r\n0\r\n\r\n", StringComparison.Ordinal)))
                {
                    bad++;
                    FirstBad ??= text;
                }
            }
            catch (SocketException)
            {
                bad++;
            }
        }

        return (sent, bad);
    }

    private static async Task<(long Sent, long Bad)> KeptAliveAsync(int port, int count, long deadline)
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 4, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Add("AbortLab-Tag", "live-kept");
        long bad = 0;
        var next = -1;
        long sent = 0;
        var workers = Enumerable.Range(0, 4).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < count && Stopwatch.GetTimestamp() < deadline)
            {
                Interlocked.Increment(ref sent);
                try
                {
                    using var response = await client.GetAsync($"http://127.0.0.1:{port}/small");
                    if (response.StatusCode != HttpStatusCode.OK || await response.Content.ReadAsStringAsync() != "hello")
                    {
                        Interlocked.Increment(ref bad);
                    }
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref bad);
                }
            }
        });
        await Task.WhenAll(workers);
        return (sent, bad);
    }
}
