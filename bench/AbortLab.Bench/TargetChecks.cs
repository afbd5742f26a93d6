using System.Globalization;

namespace AbortLab.Bench;

/// <summary>The issue's targets, checked against this run's numbers.</summary>
internal static class TargetChecks
{
    public static IEnumerable<TargetCheck> Evaluate(Dictionary<string, LatencyStats> latencies, Dictionary<ServerVariant, double>? rps, StormScenario.Outcome? storm)
    {
        yield return Compare(latencies, "detection p99: Kestrel + AbortLab ≤ bare Kestrel + 0.1 ms", "Kestrel + AbortLab", "Kestrel (bare)", 0.1);
        yield return Compare(latencies, "through a hop p99: YARP + AbortLab.Yarp ≤ nginx", "YARP + AbortLab.Yarp", "nginx (defaults)", 0);

        if (rps is not null && rps.TryGetValue(ServerVariant.Bare, out var bare) && rps.TryGetValue(ServerVariant.AbortLab, out var withAbortLab))
        {
            var ratio = withAbortLab / bare;
            var on = rps.TryGetValue(ServerVariant.AbortLabWithDiagnostics, out var diagnostics) ? $"; diagnostics on {diagnostics / bare:P1}" : string.Empty;
            yield return new TargetCheck("requests/s with AbortLab ≥ 97 % of bare", $"{ratio:P1} ({withAbortLab:0} vs {bare:0}){on}", ratio >= 0.97);
        }
        else
        {
            yield return new TargetCheck("requests/s with AbortLab ≥ 97 % of bare", "not run", null);
        }

        yield return latencies.TryGetValue("under load, FIN", out var load)
            ? new TargetCheck("0 detections missed under load", $"{load.Missed} missed of {load.Count}, p99 {LatencyStats.Format(load.P99)} ms", load.Missed == 0)
            : new TargetCheck("0 detections missed under load", "not run", null);

        var uploads = new[] { "FIN", "RST" }.Select(leave => latencies.GetValueOrDefault($"upload Kestrel + AbortLab, {leave}")).ToArray();
        yield return uploads.All(u => u is not null)
            ? new TargetCheck("stalled upload detected ≤ 200 ms (p99)", string.Join("; ", uploads.Select((u, i) => $"{(i == 0 ? "FIN" : "RST")} p99 {LatencyStats.Format(u!.P99)} ms, {u.Missed} missed")), uploads.All(u => u!.Missed == 0 && u.P99 <= 200))
            : new TargetCheck("stalled upload detected ≤ 200 ms (p99)", "not run", null);

        yield return storm is null
            ? new TargetCheck("abort storm leaves nothing behind", "not run", null)
            : new TargetCheck(
                "abort storm leaves nothing behind",
                string.Create(CultureInfo.InvariantCulture, $"{storm.OpenConnections} open connections, {storm.CloseWait} CLOSE_WAIT, {storm.LiveScopes} live scopes, working set {storm.WorkingSetRatio:P0} of baseline"),
                storm.OpenConnections == 0 && storm.CloseWait == 0 && storm.LiveScopes == 0 && storm.WorkingSetRatio <= 1.10);
    }

    private static TargetCheck Compare(Dictionary<string, LatencyStats> latencies, string target, string subject, string anchor, double slackMs)
    {
        var parts = new List<string>();
        bool? met = true;
        foreach (var leave in new[] { "FIN", "RST" })
        {
            if (latencies.GetValueOrDefault($"{subject}, {leave}") is not { P99: { } p99 } measured || latencies.GetValueOrDefault($"{anchor}, {leave}") is not { P99: { } anchorP99 })
            {
                return new TargetCheck(target, $"not measured ({anchor} or {subject} missing)", null);
            }

            parts.Add($"{leave}: {LatencyStats.Format(p99)} vs {LatencyStats.Format(anchorP99)} ms, {measured.Missed} missed");
            met &= p99 <= anchorP99 + slackMs && measured.Missed == 0;
        }

        return new TargetCheck(target, string.Join("; ", parts), met);
    }
}
