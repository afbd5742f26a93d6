using AbortLab.Timelines;
using Microsoft.Extensions.DependencyInjection;

namespace AbortLab.Bench;

/// <summary>
/// Scenario 1: how soon a server's token fires after a raw-socket client leaves (FIN or RST) once the response began.
/// Bare Kestrel is the anchor; AbortLab and Node's <c>res.on('close')</c> stand beside it.
/// </summary>
internal static class DetectionScenario
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public static async Task<ScenarioReport> RunAsync(BenchSettings settings, Dictionary<string, LatencyStats> results)
    {
        var report = new ScenarioReport("detection", "1. Detection latency", $"Raw-socket client: request, first response byte, then FIN or RST; the server notes when its token fired (same monotonic clock). {settings.Aborts} aborts per row, one at a time, after 50 warm-up aborts. Ratio: p99 against bare Kestrel's p99 with the same way of leaving.");
        var recorder = new FireRecorder();
        foreach (var variant in new[] { ServerVariant.Bare, ServerVariant.AbortLab })
        {
            await using var server = await KestrelServer.StartAsync(variant, recorder);
            MissedIds.Clear();
            await MeasureBothAsync(report, results, variant == ServerVariant.Bare ? "Kestrel (bare)" : "Kestrel + AbortLab", server.Port, settings.Aborts, recorder);
            if (variant == ServerVariant.AbortLab)
            {
                ExplainMisses(report, server);
            }
        }

        if (recorder.FiredLateCount > 0)
        {
            report.Notes.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{recorder.FiredLateCount} sample(s) whose token fired, but whose recorder callback the endpoint's own resumption had unregistered before the token ran it (Task.Delay's callback completed the wait first and the endpoint resumed on the cancelling thread; Unregister succeeded on the cancelled token, so the callback never ran): recorded when the endpoint resumed instead of counted as missed. This was the benchmark's 'rare missed detection'."));
        }

        if (ExternalPeer.Find("node") is { } node)
        {
            await using var peer = await ExternalPeer.StartNodeAsync(node, recorder);
            await MeasureBothAsync(report, results, "Node http (res.on('close'))", peer.Port, settings.Aborts, recorder);
        }
        else
        {
            report.Notes.Add("Node peer skipped: no `node` on PATH.");
        }

        foreach (var row in report.Rows)
        {
            var leave = row.Label.EndsWith("RST", StringComparison.Ordinal) ? "RST" : "FIN";
            row.Set("p99 ratio", Ratio(results, row.Label, $"Kestrel (bare), {leave}"));
        }

        return report;
    }

    /// <summary>Ids of samples whose abort the server never reported, for the report to explain.</summary>
    public static System.Collections.Concurrent.ConcurrentQueue<int> MissedIds { get; } = new();

    public static async Task<LatencyStats> MeasureAsync(int port, string pathPrefix, int count, bool reset, FireRecorder recorder, int warmup = 50)
    {
        var samples = new List<double?>(count);
        for (var i = 0; i < warmup + count; i++)
        {
            var id = Ids.Next();
            var sample = await RawAbortClient.MeasureAsync(port, $"{pathPrefix}{id}", id, reset, recorder, Timeout, CancellationToken.None);
            if (i >= warmup)
            {
                samples.Add(sample);
                if (sample is null)
                {
                    MissedIds.Enqueue(id);
                }
            }
        }

        return LatencyStats.From(samples);
    }

    public static double? Ratio(Dictionary<string, LatencyStats> results, string label, string anchor) =>
        results.TryGetValue(label, out var stats) && results.TryGetValue(anchor, out var baseline) && stats.P99 is { } p99 && baseline.P99 is > 0 ? p99 / baseline.P99.Value : null;

    /// <summary>What AbortLab's own timeline says about each abort its token did not report in time.</summary>
    public static void ExplainMisses(ScenarioReport report, KestrelServer server, string pathPrefix = "/hold/")
    {
        var store = server.Services.GetRequiredService<TimelineStore>();
        while (MissedIds.TryDequeue(out var id))
        {
            var timeline = store.GetRecent(new TimelineQuery { Tag = $"sample-{id}", Limit = 1 }).FirstOrDefault();
            report.Notes.Add(timeline is null
                ? $"Missed {pathPrefix}{id}: no timeline (the request never reached the app)."
                : $"Missed {pathPrefix}{id} (connection {timeline.ConnectionId}): AbortLab's timeline says reason {timeline.AbortReason?.ToString() ?? "none"}, aborted {Offset(timeline, timeline.AbortedAt)}, connection closed {Offset(timeline, timeline.ConnectionClosedAt)}, completed {Offset(timeline, timeline.CompletedAt)} (status {timeline.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}).");
        }
    }

    private static string Offset(RequestTimeline timeline, DateTimeOffset? at) =>
        at is { } value ? $"+{(value - timeline.StartedAt).TotalMilliseconds:0.0} ms after its start" : "never";

    /// <summary>Measures FIN and RST aborts against one server and adds a row for each.</summary>
    public static async Task MeasureBothAsync(ScenarioReport report, Dictionary<string, LatencyStats> results, string name, int port, int count, FireRecorder recorder)
    {
        foreach (var reset in new[] { false, true })
        {
            var stats = await MeasureAsync(port, "/hold/", count, reset, recorder);
            var label = $"{name}, {(reset ? "RST" : "FIN")}";
            results[label] = stats;
            report.Add(label).Latency(stats);
        }
    }
}
