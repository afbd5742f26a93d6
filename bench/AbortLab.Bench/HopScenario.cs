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
        await using var backend = await KestrelServer.StartAsync(ServerVariant.Bare, recorder);
        await using var backendH2 = await KestrelServer.StartAsync(ServerVariant.Bare, recorder, HttpProtocols.Http2);

        foreach (var (name, abortLab, http2) in new[] { ("YARP (bare)", false, false), ("YARP + AbortLab.Yarp", true, false), ("YARP (bare), h2c upstream", false, true), ("YARP + AbortLab.Yarp, h2c upstream", true, true) })
        {
            await using var proxy = await YarpProxy.StartAsync(http2 ? backendH2.Port : backend.Port, abortLab, http2);
            await DetectionScenario.MeasureBothAsync(report, results, name, proxy.Port, settings.HopAborts, recorder);
        }

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
}
