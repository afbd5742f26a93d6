using System.Diagnostics;
using AbortLab.Connections;
using AbortLab.Hosting;
using AbortLab.Timelines;
using Microsoft.Extensions.DependencyInjection;

namespace AbortLab.Bench;

/// <summary>
/// Scenario 5: thousands of requests aborted mid-flight as fast as the machine allows, then a check that nothing is
/// left behind: open connections, CLOSE_WAIT sockets, live scopes, and memory against the baseline.
/// </summary>
internal static class StormScenario
{
    public sealed record Outcome(int OpenConnections, int CloseWait, int Established, int LiveScopes, double WorkingSetRatio, double SecondsToClean, double Seconds);

    public static async Task<(ScenarioReport Report, Outcome Outcome)> RunAsync(BenchSettings settings)
    {
        const int concurrency = 64;
        var recorder = new FireRecorder();
        await using var server = await KestrelServer.StartAsync(ServerVariant.AbortLab, recorder);
        var scopes = server.Services.GetRequiredService<LiveScopeRegistry>();
        var connections = server.Services.GetRequiredService<OpenConnections>();

        // The baseline comes once the timeline and event rings (bounded by design: AbortLabOptions.TimelineCapacity and
        // EventCapacity) are full, so that what the storm leaves on top of it is what would leak.
        var warmUp = 0;
        var store = server.Services.GetRequiredService<TimelineStore>();
        var report = new ScenarioReport("storm", "5. Abort storm", $"Kestrel + AbortLab. {settings.StormRequests} requests to `/hold/{{id}}`, {concurrency} at a time, each left (alternately FIN and RST) as soon as its first byte arrives. Then up to 15 s for the server to settle; the counts are read once it has (or at the end of the 15 s). Working set: after a full blocking GC, against the same measure taken once aborted requests have filled AbortLab's bounded rings ({store.Capacity:N0} timelines, {store.EventCapacity:N0} events), so that what the storm leaves on top of it is what would leak.");
        while (store.Count < store.Capacity || store.EventCount < store.EventCapacity)
        {
            await FireAsync(server.Port, 5000, concurrency);
            warmUp += 5000;
        }

        await WaitForCleanAsync(server.Port, scopes, connections, TimeSpan.FromSeconds(15));
        var baseline = SettledWorkingSet();

        var started = Stopwatch.GetTimestamp();
        await FireAsync(server.Port, settings.StormRequests, concurrency);
        var fired = Stopwatch.GetTimestamp();
        var clean = await WaitForCleanAsync(server.Port, scopes, connections, TimeSpan.FromSeconds(15));
        var after = SettledWorkingSet();

        var outcome = new Outcome(
            connections.Count,
            TcpStates.Count(server.Port, TcpStates.CloseWait),
            TcpStates.Count(server.Port, TcpStates.Established),
            scopes.Count,
            (double)after / baseline,
            clean,
            Clock.Ms(started, fired) / 1000);
        report.Add("Kestrel + AbortLab")
            .Set("requests", settings.StormRequests)
            .Set("warm-up requests", warmUp)
            .Set("aborts/s", Math.Round(settings.StormRequests / outcome.Seconds))
            .Set("open connections", outcome.OpenConnections)
            .Set("CLOSE_WAIT", outcome.CloseWait)
            .Set("established", outcome.Established)
            .Set("live scopes", outcome.LiveScopes)
            .Set("settled after s", Math.Round(outcome.SecondsToClean, 2))
            .Set("working set MiB", Math.Round(after / 1048576.0, 1))
            .Set("baseline MiB", Math.Round(baseline / 1048576.0, 1))
            .Set("working set ratio", outcome.WorkingSetRatio);
        return (report, outcome);
    }

    private static async Task FireAsync(int port, int requests, int concurrency)
    {
        var next = 0;
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) <= requests)
            {
                var id = Ids.Next();
                using var client = await RawAbortClient.ConnectAsync(port, CancellationToken.None);
                await client.SendAsync($"GET /hold/{id} HTTP/1.1\r\nHost: bench\r\n\r\n", CancellationToken.None);
                await client.WaitForFirstByteAsync(TimeSpan.FromSeconds(10));
                client.Leave(reset: n % 2 == 0);
            }
        });
        await Task.WhenAll(workers);
    }

    private static async Task<double> WaitForCleanAsync(int port, LiveScopeRegistry scopes, OpenConnections connections, TimeSpan limit)
    {
        var started = Stopwatch.GetTimestamp();
        while (Clock.Ms(started, Stopwatch.GetTimestamp()) < limit.TotalMilliseconds)
        {
            if (scopes.Count == 0 && connections.Count == 0 && TcpStates.Count(port, TcpStates.CloseWait) == 0 && TcpStates.Count(port, TcpStates.Established) == 0)
            {
                break;
            }

            await Task.Delay(10);
        }

        return Clock.Ms(started, Stopwatch.GetTimestamp()) / 1000;
    }

    private static long SettledWorkingSet()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
