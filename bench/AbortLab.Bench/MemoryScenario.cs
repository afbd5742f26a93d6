using System.Runtime.CompilerServices;
using AbortLab.Hosting;
using AbortLab.Timelines;
using Microsoft.Extensions.DependencyInjection;

namespace AbortLab.Bench;

/// <summary>
/// Scenario 10: what AbortLab keeps on the managed heap once its rings are full at the default capacities, against
/// bare Kestrel after the same requests, and what one stored timeline and one event slot cost.
/// </summary>
internal static class MemoryScenario
{
    private const int Connections = 8;
    private const int WarmUp = 200;

    public sealed record Outcome(long RetainedBytes, double BytesPerTimeline, int BytesPerEventSlot, int Timelines, int Events);

    public static async Task<(ScenarioReport Report, Outcome Outcome)> RunAsync(BenchSettings settings)
    {
        var defaults = new AbortLabOptions();
        var report = new ScenarioReport("memory", "10. Memory with full rings", $"Kestrel on loopback, {Connections} keep-alive connections sending `GET /small` until both of AbortLab's rings are full at the default capacities ({defaults.TimelineCapacity:N0} timelines, {defaults.EventCapacity:N0} events), every request recorded (`RecordedRequestsPerSecond` at its maximum; by default only {defaults.RecordedRequestsPerSecond:N0} normal requests a second are). Managed heap: `GC.GetTotalMemory(true)` with the server still running, against bare Kestrel after as many requests in the same process. Per timeline: the heap's growth while the timeline ring filled, divided by the timelines added. Per event slot: the event ring's slots are preallocated structs, so an event costs its slot whatever it records.");

        long full;
        double perTimeline;
        int sent, timelines, events;
        await using (var server = await KestrelServer.StartAsync(ServerVariant.AbortLab, new FireRecorder(), configure: o =>
        {
            o.TimelineCapacity = defaults.TimelineCapacity;

            // Every request recorded, so that normal requests fill the rings as fast as the client sends them.
            o.RecordedRequestsPerSecond = 10_000_000;
        }))
        {
            var store = server.Services.GetRequiredService<TimelineStore>();
            using var client = NewClient(server.Port);
            await SendAsync(client, WarmUp);
            var warm = SettledHeap();
            var storedBefore = store.Count;
            await SendAsync(client, store.Capacity - storedBefore);
            perTimeline = (double)(SettledHeap() - warm) / (store.Count - storedBefore);
            sent = WarmUp + store.Capacity - storedBefore;

            // Bounded: the event ring fills within a few tens of thousands of requests of two or more events each.
            for (var batch = 0; batch < 40 && store.EventCount < store.EventCapacity; batch++)
            {
                await SendAsync(client, 5_000);
                sent += 5_000;
            }

            full = SettledHeap();
            (timelines, events) = (store.Count, store.EventCount);
            if (timelines < store.Capacity || events < store.EventCapacity)
            {
                report.Notes.Add($"The rings were not full after {sent} requests: {timelines} timelines, {events} events.");
            }
        }

        long bareHeap;
        await using (var bare = await KestrelServer.StartAsync(ServerVariant.Bare, new FireRecorder()))
        {
            using var client = NewClient(bare.Port);
            await SendAsync(client, sent);
            bareHeap = SettledHeap();
        }

        var outcome = new Outcome(full - bareHeap, perTimeline, Unsafe.SizeOf<TimelineEvent>(), timelines, events);
        report.Add("bare Kestrel").Set("requests", sent).Set("managed heap MiB", Math.Round(bareHeap / 1048576.0, 2));
        report.Add("Kestrel + AbortLab, rings full")
            .Set("requests", sent)
            .Set("timelines stored", timelines)
            .Set("events stored", events)
            .Set("managed heap MiB", Math.Round(full / 1048576.0, 2))
            .Set("retained over bare MiB", Math.Round(outcome.RetainedBytes / 1048576.0, 2))
            .Set("bytes per stored timeline", Math.Round(perTimeline))
            .Set("bytes per event slot", outcome.BytesPerEventSlot);
        return (report, outcome);
    }

    private static HttpClient NewClient(int port) => new(new SocketsHttpHandler { MaxConnectionsPerServer = Connections, UseProxy = false })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{port}"),
    };

    private static async Task SendAsync(HttpClient client, int requests)
    {
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= requests)
            {
                using var response = await client.GetAsync("/small", HttpCompletionOption.ResponseContentRead);
                response.EnsureSuccessStatusCode();
            }
        }));
    }

    private static long SettledHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
