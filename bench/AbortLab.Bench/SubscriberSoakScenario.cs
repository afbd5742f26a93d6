using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AbortLab.Diagnostics;
using AbortLab.Timelines;
using Microsoft.Extensions.DependencyInjection;

namespace AbortLab.Bench;

/// <summary>
/// Scenario 8: slow dashboard subscribers. 200 clients that open the event stream asking for the whole ring and
/// never read, and 50 that replay it from the start over and over, against a server under steady load; memory and
/// unrelated requests' latency against the same server without them, and memory once they left.
/// </summary>
internal static class SubscriberSoakScenario
{
    private const int NonReading = 200;
    private const int Replaying = 50;
    private const int LoadRate = 1000;
    private const int ReplayEvents = 9_000;
    private const int ProbeWorkers = 4;
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    public sealed record Outcome(string Label, double BaselineMiB, double SoakMiB, double AfterMiB, LatencyStats Baseline, LatencyStats Soak, long Timeouts, int Admitted, int Refused, long Cut)
    {
        public bool Met => SoakMiB <= BaselineMiB + 64 && Soak.P99 <= 2 * Baseline.P99 && Timeouts == 0 && AfterMiB <= BaselineMiB * 1.10;
    }

    public static async Task<(ScenarioReport Report, List<Outcome> Outcomes)> RunAsync(BenchSettings settings)
    {
        var report = new ScenarioReport(
            "subscribers",
            "8. Slow dashboard subscribers",
            $"Kestrel + AbortLab with MapAbortLab, its event ring (100 000 events) filled first. Unrelated requests: {ProbeWorkers} clients in a loop on `/small` for {settings.SoakDuration.TotalSeconds:0} s (timeout {ProbeTimeout.TotalSeconds:0} s), beside a load generator at {LoadRate} requests/s in its own process. "
            + $"Then the same with {NonReading} raw-socket subscribers that ask for the last {ReplayEvents} events (`Last-Event-ID`; 10 000 behind is the default limit before a subscriber is cut) and never read, and {Replaying} that replay as much again and again, reconnecting when cut. "
            + "Memory: the process's working set (server and clients share it), its peak while sampling every 100 ms, and after a full blocking GC once the subscribers left. One row with the default subscriber limit (the target), one with the limit raised above 250 so that every subscriber is admitted: memory stays bounded there too, while 50 clients replaying thousands of events without pause compete with the unrelated requests for the 2 cores.");
        var outcomes = new List<Outcome>();
        foreach (var (label, limit) in new[] { ("default limit (32)", (int?)null), ("limit 300: all admitted", 300) })
        {
            var outcome = await RunOnceAsync(settings, label, limit);
            outcomes.Add(outcome);
            report.Add(label)
                .Set("baseline MiB", outcome.BaselineMiB)
                .Set("with subscribers MiB", outcome.SoakMiB)
                .Set("after MiB", outcome.AfterMiB)
                .Set("baseline p99 ms", outcome.Baseline.P99)
                .Set("with subscribers p99 ms", outcome.Soak.P99)
                .Set("timeouts", outcome.Timeouts)
                .Set("admitted", outcome.Admitted)
                .Set("refused (503)", outcome.Refused)
                .Set("cut (resync)", outcome.Cut);
        }

        return (report, outcomes);
    }

    private static async Task<Outcome> RunOnceAsync(BenchSettings settings, string label, int? limit)
    {
        var recorder = new FireRecorder();
        await using var server = await KestrelServer.StartAsync(ServerVariant.AbortLabWithDiagnostics, recorder, configure: limit is { } value ? o => o.Diagnostics.MaxStreamSubscribers = value : null);
        var store = server.Services.GetRequiredService<TimelineStore>();
        var stream = server.Services.GetRequiredService<DiagnosticsEventStream>();
        var small = new Uri($"http://127.0.0.1:{server.Port}/small");
        while (store.EventCount < store.EventCapacity)
        {
            await LoadGenerator.RunAsync(small, TimeSpan.FromSeconds(2), 16);
        }

        var (baseline, baselineTimeouts, baselinePeak) = await MeasureAsync(server.Port, small, settings.SoakDuration);
        var baselineMiB = Math.Max(baselinePeak, SettledMiB());

        using var stop = new CancellationTokenSource();
        var replayFrom = ReplayFrom(store);
        var statuses = new List<int>();
        var silent = new List<Socket>();
        for (var i = 0; i < NonReading; i++)
        {
            var socket = await OpenStreamAsync(server.Port, replayFrom, receiveBuffer: 4096);
            silent.Add(socket);
            var status = await ReadStatusAsync(socket);
            lock (statuses)
            {
                statuses.Add(status);
            }
        }

        var readers = Enumerable.Range(0, Replaying).Select(_ => ReplayAgainAndAgainAsync(server.Port, store, statuses, stop.Token)).ToList();
        var (soak, soakTimeouts, soakPeak) = await MeasureAsync(server.Port, small, settings.SoakDuration);

        await stop.CancelAsync();
        await Task.WhenAll(readers);
        foreach (var socket in silent)
        {
            socket.Dispose();
        }

        // Bounded: the server notices each closed subscriber on its next write or read.
        var deadline = Stopwatch.GetTimestamp() + (15 * Stopwatch.Frequency);
        while (stream.Subscribers > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50);
        }

        var afterMiB = SettledMiB();
        int admitted, refused;
        lock (statuses)
        {
            admitted = statuses.Count(s => s == 200);
            refused = statuses.Count(s => s == 503);
        }

        return new Outcome(label, baselineMiB, Math.Max(soakPeak, baselineMiB), afterMiB, baseline, soak, baselineTimeouts + soakTimeouts, admitted, refused, stream.SubscribersCut);
    }

    private static async Task ReplayAgainAndAgainAsync(int port, TimelineStore store, List<int> statuses, CancellationToken stop)
    {
        var buffer = new byte[16 * 1024];
        while (!stop.IsCancellationRequested)
        {
            using var socket = await OpenStreamAsync(port, ReplayFrom(store), receiveBuffer: null);
            var status = await ReadStatusAsync(socket);
            lock (statuses)
            {
                statuses.Add(status);
            }

            try
            {
                while (await socket.ReceiveAsync(buffer, SocketFlags.None, stop) > 0)
                {
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                // Cut by the server: reconnect and replay again, as a dashboard would.
            }

            if (status != 200)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>As far back as a subscriber may start without being cut at once (<c>StreamMaxLagEvents</c> is 10 000).</summary>
    private static string ReplayFrom(TimelineStore store) => $"{store.Epoch}-{store.LastSequence - ReplayEvents}";

    private static async Task<Socket> OpenStreamAsync(int port, string lastEventId, int? receiveBuffer)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBuffer is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /abortlab/api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: {lastEventId}\r\n\r\n"), SocketFlags.None);
        return socket;
    }

    private static async Task<int> ReadStatusAsync(Socket socket)
    {
        var head = new byte[12];
        var read = 0;
        while (read < head.Length)
        {
            var n = await socket.ReceiveAsync(head.AsMemory(read), SocketFlags.None);
            if (n == 0)
            {
                return 0;
            }

            read += n;
        }

        return int.Parse(Encoding.ASCII.GetString(head, 9, 3), CultureInfo.InvariantCulture);
    }

    /// <summary>Unrelated requests beside the load generator; returns their latencies, timeouts and the peak working set.</summary>
    private static async Task<(LatencyStats Latency, long Timeouts, double PeakMiB)> MeasureAsync(int port, Uri small, TimeSpan duration)
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = ProbeWorkers, UseProxy = false }) { Timeout = ProbeTimeout };
        var load = LoadGenerator.RunAsync(small, duration, 8, LoadRate);
        var peak = 0.0;
        var samples = new System.Collections.Concurrent.ConcurrentBag<double?>();
        long timeouts = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var sampler = Task.Run(async () =>
        {
            using var process = Process.GetCurrentProcess();
            while (Stopwatch.GetTimestamp() < end)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64 / (1024.0 * 1024));
                await Task.Delay(100);
            }
        });
        var probes = Enumerable.Range(0, ProbeWorkers).Select(async _ =>
        {
            while (Stopwatch.GetTimestamp() < end)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.GetAsync(small);
                    await response.Content.CopyToAsync(Stream.Null);
                    samples.Add(Clock.Ms(started, Stopwatch.GetTimestamp()));
                }
                catch (Exception exception) when (exception is TaskCanceledException or HttpRequestException)
                {
                    Interlocked.Increment(ref timeouts);
                    samples.Add(null);
                }
            }
        });
        await Task.WhenAll(probes);
        await sampler;
        await load;
        return (LatencyStats.From([.. samples]), timeouts, peak);
    }

    private static double SettledMiB()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64 / (1024.0 * 1024);
    }
}
