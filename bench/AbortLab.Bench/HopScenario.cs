using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AbortLab.Bench;

/// <summary>
/// Scenario 2: the same client against a proxy; the backend behind it notes when <em>its</em> token fired. Bare YARP
/// is the anchor; YARP + AbortLab.Yarp, an HTTP/2 upstream, and nginx with its defaults stand beside it.
/// </summary>
internal static class HopScenario
{
    public static async Task<ScenarioReport> RunAsync(BenchSettings settings, Dictionary<string, LatencyStats> results)
    {
        var report = new ScenarioReport("hop", "2. Through a hop", $"Client → proxy → backend (bare Kestrel, which notes when its RequestAborted fired). Latency from the client leaving to the backend's token. {settings.HopAborts} aborts per row. nginx runs with its defaults (`proxy_ignore_client_abort off`, buffering on); the backend's `X-Accel-Buffering: no` header lets the first byte through, as a streaming response would. Ratio: p99 against bare YARP (HTTP/1.1 upstream) with the same way of leaving.");
        var recorder = new FireRecorder();
        var stages = new HopStages();
        await using var backend = await KestrelServer.StartAsync(ServerVariant.Bare, recorder);
        await using var backendH2 = await KestrelServer.StartAsync(ServerVariant.Bare, recorder, HttpProtocols.Http2);

        foreach (var (name, abortLab, http2) in new[] { ("YARP (bare)", false, false), ("YARP + AbortLab.Yarp", true, false), ("YARP (bare), h2c upstream", false, true), ("YARP + AbortLab.Yarp, h2c upstream", true, true) })
        {
            await using var proxy = await YarpProxy.StartAsync(http2 ? backendH2.Port : backend.Port, abortLab, http2, stages);
            foreach (var reset in new[] { false, true })
            {
                await MeasureWithStagesAsync(report, results, $"{name}, {(reset ? "RST" : "FIN")}", proxy, settings.HopAborts, reset, recorder, stages);
            }
        }

        report.Notes.Add("Where the time goes, per sample, in the YARP rows: **proxy noticed** is the client leaving → the token YARP links firing in the proxy (bare: Kestrel's RequestAborted; with AbortLab: its scope, which the close of an HTTP/1.x connection aborts from Kestrel's ConnectionClosed, a thread-pool trip before Kestrel schedules RequestAborted from the same callback); **YARP's callback** is how long YARP's own callback on that token ran (it cancels the upstream request, which closes the upstream connection or resets its h2c stream, on that thread); **→ backend** is from the proxy noticing to the backend's token firing (YARP's callback, then the backend's Kestrel noticing its upstream peer leave). Each is noted by a callback on the same token, one registered after YARP's and one before (a token runs its callbacks newest first), keyed by the sample's id; percentiles of each part are taken on their own, so they need not add up to the whole hop's. The YARP proxies and the backend run in this benchmark's process and share its thread pool: what the proxy still does once it cancelled (its own connection's close, YARP's forward unwinding, the timeline) competes with the backend's noticing, inside → backend.");

        if (ExternalPeer.Find("nginx") is { } nginx)
        {
            await using var peer = await ExternalPeer.StartNginxAsync(nginx, backend.Port);
            await DetectionScenario.MeasureBothAsync(report, results, "nginx (defaults)", peer.Port, settings.HopAborts, recorder);
        }
        else
        {
            report.Notes.Add("nginx skipped: not installed (`apt-get install nginx-light`).");
        }

        foreach (var row in report.Rows)
        {
            var leave = row.Label.EndsWith("RST", StringComparison.Ordinal) ? "RST" : "FIN";
            row.Set("p99 ratio", DetectionScenario.Ratio(results, row.Label, $"YARP (bare), {leave}"));
        }

        return report;
    }

    /// <summary>Labels under which a row's parts are kept in the results, for the target checks.</summary>
    public static string PartLabel(string row, string part) => $"{row} · {part}";

    private static async Task MeasureWithStagesAsync(ScenarioReport report, Dictionary<string, LatencyStats> results, string label, YarpProxy proxy, int count, bool reset, FireRecorder recorder, HopStages stages, int warmup = 50)
    {
        var samples = new List<(int Id, (long Left, long? Fired)? Sample)>(count);
        for (var i = 0; i < warmup + count; i++)
        {
            var id = Ids.Next();
            var sample = await RawAbortClient.MeasureTimestampsAsync(proxy.Port, $"/hold/{id}", id, reset, recorder, DetectionScenario.Timeout, CancellationToken.None);
            if (i >= warmup)
            {
                samples.Add((id, sample));
            }
        }

        var total = new List<double?>(count);
        var noticed = new List<double?>(count);
        var callback = new List<double?>(count);
        var toBackend = new List<double?>(count);
        foreach (var (id, sample) in samples)
        {
            var (noticedAt, cancelledAt) = stages.Take(id);

            total.Add(sample is { Fired: { } fired } ? Clock.Ms(sample.Value.Left, fired) : null);
            noticed.Add(sample is { } left && noticedAt is { } n ? Clock.Ms(left.Left, n) : null);
            callback.Add(noticedAt is { } from && cancelledAt is { } to ? Clock.Ms(from, to) : null);
            toBackend.Add(noticedAt is { } start && sample is { Fired: { } end } ? Clock.Ms(start, end) : null);
        }

        var stats = LatencyStats.From(total);
        results[label] = stats;
        var row = report.Add(label).Latency(stats);
        foreach (var (part, values) in new[] { ("proxy noticed", noticed), ("YARP's callback", callback), ("→ backend", toBackend) })
        {
            var partStats = LatencyStats.From(values);
            results[PartLabel(label, part)] = partStats;
            row.Set($"{part} p50", partStats.P50).Set($"{part} p99", partStats.P99);
        }
    }
}
