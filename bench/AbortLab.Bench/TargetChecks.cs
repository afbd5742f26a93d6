using System.Globalization;
using AbortLab.Connections;

namespace AbortLab.Bench;

/// <summary>The issue's targets, checked against this run's numbers.</summary>
internal static class TargetChecks
{
    public static IEnumerable<TargetCheck> Evaluate(Dictionary<string, LatencyStats> latencies, Dictionary<ServerVariant, OverheadRun>? rps, ScopeCost? cost, StormScenario.Outcome? storm, List<SubscriberSoakScenario.Outcome>? soak, LiveRequestsScenario.Outcome? live, MemoryScenario.Outcome? memory, DatabaseScenario.Outcome? database, BrowserDatabaseScenario.Outcome? browserDatabase)
    {
        var detection = Compare(latencies, "detection p99: Kestrel + AbortLab ≤ bare Kestrel + 0.1 ms", "Kestrel + AbortLab", "Kestrel (bare)", 0.1);
        yield return detection;

        var hop = Compare(latencies, "through a hop p99: YARP + AbortLab.Yarp ≤ nginx", "YARP + AbortLab.Yarp", "nginx (defaults)", 0);
        yield return hop.Met == false ? hop with { Explanation = HopExplanation(latencies) } : hop;

        const string costTarget = "per request, BenchmarkDotNet over DefaultHttpContext: ≤ +0.4 µs and ≤ +256 B";
        if (cost is null)
        {
            yield return new TargetCheck(costTarget, "not run", null);
        }
        else
        {
            var met = cost.DefaultContext.AddedNs <= 400 && cost.DefaultContext.AddedBytes <= 256;
            var measured = string.Join("; ", new[] { cost.DefaultContext, cost.ServerLike, cost.App, cost.EveryRequestRecorded }.OfType<ScopeCostPair>().Select(p => p.Describe()));
            yield return new TargetCheck(costTarget, measured, met) { Explanation = met ? null : CostExplanation(cost) };
        }

        if (rps is not null && rps.TryGetValue(ServerVariant.Bare, out var bareRun) && rps.TryGetValue(ServerVariant.AbortLab, out var abortLabRun))
        {
            var bare = bareRun.Rps;
            var ratio = abortLabRun.Rps / bare;
            yield return new TargetCheck("requests/s with AbortLab, diagnostics off ≥ 97 % of bare", $"{ratio:P1} ({abortLabRun.Rps:0} vs {bare:0})", ratio >= 0.97)
            {
                Explanation = ratio >= 0.97 ? null : ThroughputExplanation(bare, ratio, cost) + LogSensorSplit(rps, bareRun, abortLabRun),
            };

            if (rps.TryGetValue(ServerVariant.AbortLabWithDiagnostics, out var diagnostics))
            {
                var followed = diagnostics.Rps / bare;
                yield return new TargetCheck("requests/s with the dashboard following the stream ≥ 90 % of bare", $"{followed:P1} ({diagnostics.Rps:0} vs {bare:0})", followed >= 0.90)
                {
                    Explanation = followed >= 0.90 ? null : ThroughputExplanation(bare, followed, null) + FormattableString.Invariant($" Scenario 4 measured {diagnostics.BytesPerRequest:0} B allocated per request with the stream followed, against {abortLabRun.BytesPerRequest:0} B without it: the event stream's work for each request's events."),
                };
            }
        }
        else
        {
            yield return new TargetCheck("requests/s with AbortLab ≥ 97 % of bare", "not run", null);
        }

        if (latencies.TryGetValue("under load, FIN", out var load) && latencies.TryGetValue("under load, bare, FIN", out var bareLoad) && load.P99 is { } loadP99 && bareLoad.P99 is { } bareLoadP99)
        {
            var met = load.Missed == 0 && loadP99 <= bareLoadP99;
            yield return new TargetCheck("under load (80 % of max): 0 missed, p99 ≤ bare Kestrel's under the same load", $"{load.Missed} missed of {load.Count}, p99 {LatencyStats.Format(loadP99)} vs {LatencyStats.Format(bareLoadP99)} ms", met)
            {
                Explanation = met ? null : FormattableString.Invariant($"measured in scenario 3 of this run: p50 {LatencyStats.Format(load.P50)} vs {LatencyStats.Format(bareLoad.P50)} ms, p90 {LatencyStats.Format(load.P90)} vs {LatencyStats.Format(bareLoad.P90)} ms, max {LatencyStats.Format(load.Max)} vs {LatencyStats.Format(bareLoad.Max)} ms; bare missed {bareLoad.Missed}."),
            };
        }
        else
        {
            yield return new TargetCheck("under load (80 % of max): 0 missed, p99 ≤ bare Kestrel's under the same load", "not run", null);
        }

        var uploads = new[] { "FIN", "RST" }.Select(leave => latencies.GetValueOrDefault($"upload Kestrel + AbortLab, {leave}")).ToArray();
        if (uploads.All(u => u is not null))
        {
            var met = uploads.All(u => u!.Missed == 0 && u.P99 <= 200);
            yield return new TargetCheck("stalled upload detected ≤ 200 ms (p99)", string.Join("; ", uploads.Select((u, i) => $"{(i == 0 ? "FIN" : "RST")} p99 {LatencyStats.Format(u!.P99)} ms, {u.Missed} missed")), met)
            {
                Explanation = met || uploads.All(u => u!.P99 <= 200) is false ? null
                    : "every detection was within the target; the misses are listed under scenario 6 with AbortLab's timeline (the same early connection close as in scenario 1 when it says so).",
            };
        }
        else
        {
            yield return new TargetCheck("stalled upload detected ≤ 200 ms (p99)", "not run", null);
        }

        yield return storm is null
            ? new TargetCheck("abort storm leaves nothing behind", "not run", null)
            : new TargetCheck(
                "abort storm leaves nothing behind",
                string.Create(CultureInfo.InvariantCulture, $"{storm.OpenConnections} open connections, {storm.CloseWait} CLOSE_WAIT, {storm.LiveScopes} live scopes, working set {storm.WorkingSetRatio:P0} of baseline"),
                storm.OpenConnections == 0 && storm.CloseWait == 0 && storm.LiveScopes == 0 && storm.WorkingSetRatio <= 1.10);

        yield return live is null
            ? new TargetCheck("live clients: 0 answered or recorded as aborted", "not run", null)
            : new TargetCheck(
                "live clients: 0 answered or recorded as aborted",
                string.Create(CultureInfo.InvariantCulture, $"{live.Requests} requests: {live.NotAnswered200} not a full 200, {live.RecordedAborted} recorded aborted"),
                live.NotAnswered200 == 0 && live.RecordedAborted == 0);

        yield return memory is null
            ? new TargetCheck("memory with full default rings ≤ 32 MiB (retained managed heap over bare)", "not run", null)
            : new TargetCheck(
                "memory with full default rings ≤ 32 MiB (retained managed heap over bare)",
                string.Create(CultureInfo.InvariantCulture, $"{memory.RetainedBytes / 1048576.0:0.0} MiB with {memory.Timelines} timelines and {memory.Events} events; {memory.BytesPerTimeline:0} B per stored timeline, {memory.BytesPerEventSlot} B per event slot"),
                memory.RetainedBytes <= 32L * 1024 * 1024 && memory.Timelines > 0);

        const string databaseTarget = "database query given no token stopped ≤ 200 ms (p99) after the client left, 0 missed, none left running on PostgreSQL";
        if (database is null || database.Stops.Count == 0)
        {
            yield return new TargetCheck(databaseTarget, "not run", null);
        }
        else
        {
            var met = database.Stops.Values.All(s => s.Missed == 0 && s.P99 <= 200) && database.PostgresStillRunning is null or 0;
            var measured = string.Join("; ", database.Stops.Select(s => $"{s.Key} p99 {LatencyStats.Format(s.Value.P99)} ms, {s.Value.Missed} missed"))
                + (database.PostgresStillRunning is { } running ? $"; {running} left running on PostgreSQL" : "; PostgreSQL not measured");
            yield return new TargetCheck(databaseTarget, measured, database.PostgresStillRunning is null ? null : met);
        }

        const string browserDatabaseTarget = "EF Core + SQLite and EF Core + PostgreSQL aborted from Chromium through the edge: work stopped ≤ 200 ms (p99), every verdict passed, work Canceled, no Error log, none left in pg_stat_activity";
        if (browserDatabase is null || browserDatabase.Rows.Count == 0)
        {
            yield return new TargetCheck(browserDatabaseTarget, "not run", null);
        }
        else
        {
            var met = browserDatabase.Rows.All(r => r.WorkStopped.Missed == 0 && r.WorkStopped.P99 <= 200 && r.Failed == 0 && r.NotCanceled == 0 && r.ErrorLogs == 0 && r.StillRunning == 0);
            var measured = string.Join("; ", browserDatabase.Rows.Select(r =>
                $"{r.Label} p99 {LatencyStats.Format(r.WorkStopped.P99)} ms, {r.WorkStopped.Missed} missed, {r.Failed} verdicts failed, {r.NotCanceled} not Canceled, {r.ErrorLogs} Error logs"
                + (r.QueryGone is { } gone ? $", pg_stat_activity gone p99 {LatencyStats.Format(gone.P99)} ms ({r.StillRunning} still running)" : string.Empty)))
                + (browserDatabase.PostgresMeasured ? string.Empty : "; PostgreSQL not measured");
            yield return new TargetCheck(browserDatabaseTarget, measured, browserDatabase.PostgresMeasured ? met : null);
        }

        const string soakTarget = "slow subscribers: memory ≤ baseline + 64 MiB, p99 ≤ 2 × baseline, 0 timeouts, memory back within 10 %";
        if (soak is null)
        {
            yield return new TargetCheck(soakTarget, "not run", null);
        }
        else
        {
            // The target is for the defaults; the row with the limit raised shows what raising it costs.
            foreach (var row in soak.Take(1))
            {
                yield return new TargetCheck(
                    $"{soakTarget} ({row.Label})",
                    string.Create(CultureInfo.InvariantCulture, $"{row.SoakMiB:0} vs {row.BaselineMiB:0} MiB, p99 {LatencyStats.Format(row.Soak.P99)} vs {LatencyStats.Format(row.Baseline.P99)} ms, {row.Timeouts} timeouts, after {row.AfterMiB:0} MiB; {row.Admitted} admitted, {row.Refused} refused, {row.Cut} cut"),
                    row.Met);
            }
        }
    }

    // Only what this run measured: the per-request cost of scenario 4b, and the time per request at the bare rate.
    private static string ThroughputExplanation(double bare, double ratio, ScopeCost? cost)
    {
        var cores = Environment.ProcessorCount;
        var perRequestUs = cores * 1e6 / bare;
        var budget = FormattableString.Invariant($"At {bare:0} requests/s the {cores} cores, shared with the load generator, spend {perRequestUs:0.0} µs per request, so the {1 - ratio:P0} lost is about {(1 - ratio) * perRequestUs:0.00} µs of it.");
        return cost is null
            ? budget
            : budget + $" Scenario 4b of this run measured what UseAbortLab adds per request in process: {cost.DefaultContext.Describe()}" + (cost.ServerLike is { } serverLike ? $"; {serverLike.Describe()}." : ".");
    }

    // Only what this run measured: scenario 4's variant without the log sensor, beside the default one.
    private static string LogSensorSplit(Dictionary<ServerVariant, OverheadRun> rps, OverheadRun bare, OverheadRun withAbortLab) =>
        rps.TryGetValue(ServerVariant.AbortLabWithoutLogSensor, out var noLogs)
            ? FormattableString.Invariant($" Scenario 4 measured {withAbortLab.BytesPerRequest:0} B allocated per request by the server with AbortLab, {bare.BytesPerRequest:0} B bare; with AbortLab's log sensor off {noLogs.Rps / bare.Rps:P1} of bare and {noLogs.BytesPerRequest:0} B.")
            : string.Empty;

    // Only what this run measured: the server-like pair tells the context's own growth from AbortLab's objects, and
    // the sampled allocations name those objects.
    private static string CostExplanation(ScopeCost cost)
    {
        var parts = new List<string>();
        if (cost.ServerLike is { } serverLike)
        {
            var growth = cost.DefaultContext.AddedBytes - serverLike.AddedBytes;
            parts.Add(FormattableString.Invariant($"over a server-like context (features already present, room in the collection) the same middleware adds {serverLike.AddedNs:0} ns and {serverLike.AddedBytes:0} B")
                + (growth > 0 ? FormattableString.Invariant($", so {growth:0} B of the DefaultHttpContext row is that context's feature collection growing for the features AbortLab sets") : ", as much as over DefaultHttpContext"));
        }

        if (cost.AbortLabAllocations.Count > 0)
        {
            parts.Add($"the types only AbortLab allocated, sampled in scenario 4b, are {string.Join(", ", cost.AbortLabAllocations)}: {cost.AbortLabAllocations.Sum(a => a.InstanceBytes ?? 0)} B together of the {cost.ServerLike?.AddedBytes ?? cost.DefaultContext.AddedBytes:0} B added");
        }

        if (cost.EveryRequestRecorded is { } recorded)
        {
            parts.Add($"with every request recorded (RecordedRequestsPerSecond at its maximum, so each normal request takes a slot in the ring and publishes its events) {recorded.Describe()}");
        }

        if (cost.Excluded is { } excluded)
        {
            parts.Add($"for {excluded.Describe()}, which gets no scope and no timeline (AbortLabOptions.ExcludedPaths, for probes and static files)");
        }

        return parts.Count == 0 ? "scenario 4b did not say more." : "measured in scenario 4b of this run: " + string.Join("; ", parts) + ".";
    }

    // Only what this run measured: the medians beside the tails that missed.
    private static string HopExplanation(Dictionary<string, LatencyStats> latencies)
    {
        var parts = new List<string>();
        foreach (var leave in new[] { "FIN", "RST" })
        {
            var row = string.Join(", ", new[] { "nginx (defaults)", "YARP (bare)", "YARP + AbortLab.Yarp" }
                .Select(name => latencies.GetValueOrDefault($"{name}, {leave}") is { } stats
                    ? $"{name} p50 {LatencyStats.Format(stats.P50)} / p99 {LatencyStats.Format(stats.P99)} ms"
                    : $"{name} not measured"));
            parts.Add($"{leave}: {row}");
        }

        var explanation = "measured in scenario 2 of this run — " + string.Join("; ", parts) + ".";

        // Only what this run measured: a YARP hop is two Kestrel servers, each of which has to notice a peer leaving
        // (the proxy its client, the backend the proxy's upstream connection), where nginx's proxy is one of them.
        var single = new List<string>();
        foreach (var leave in new[] { "FIN", "RST" })
        {
            if (latencies.GetValueOrDefault($"Kestrel (bare), {leave}") is { P50: { } p50, P99: { } p99 } &&
                latencies.GetValueOrDefault($"nginx (defaults), {leave}") is { P99: { } nginxP99 })
            {
                single.Add($"{leave}: p50 {LatencyStats.Format(p50)} / p99 {LatencyStats.Format(p99)} ms, against nginx's whole hop at p99 {LatencyStats.Format(nginxP99)} ms");
            }
        }

        if (single.Count > 0)
        {
            explanation += " Through YARP the abort is noticed twice by Kestrel — by the proxy, when its client leaves, and by the backend, when YARP cancels the upstream request and the upstream connection closes (its stream is reset over h2c) — with YARP's cancellation between. In scenario 1 of this run bare Kestrel alone took " + string.Join("; ", single) + " to notice one client leaving.";
        }

        // The per-sample split of the same rows (HopScenario.MeasureWithStagesAsync), when the run took it.
        var split = new List<string>();
        foreach (var leave in new[] { "FIN", "RST" })
        {
            var row = $"YARP + AbortLab.Yarp, {leave}";
            if (latencies.GetValueOrDefault(row) is { P50: { } p50, P99: { } p99 } &&
                latencies.GetValueOrDefault(HopScenario.PartLabel(row, "proxy noticed")) is { P50: { } noticedP50, P99: { } noticedP99 } &&
                latencies.GetValueOrDefault(HopScenario.PartLabel(row, "YARP's callback")) is { P50: { } callbackP50, P99: { } callbackP99 } &&
                latencies.GetValueOrDefault(HopScenario.PartLabel(row, "→ backend")) is { P50: { } backendP50, P99: { } backendP99 } &&
                latencies.GetValueOrDefault($"nginx (defaults), {leave}") is { P50: { } nginxP50, P99: { } nginxP99 })
            {
                split.Add($"{leave}: whole hop p50 {LatencyStats.Format(p50)} / p99 {LatencyStats.Format(p99)} ms, split into the proxy noticing its client leave (p50 {LatencyStats.Format(noticedP50)} / p99 {LatencyStats.Format(noticedP99)}) + from there to the backend's token (p50 {LatencyStats.Format(backendP50)} / p99 {LatencyStats.Format(backendP99)}, of which YARP's own callback p50 {LatencyStats.Format(callbackP50)} / p99 {LatencyStats.Format(callbackP99)}); nginx's whole hop, the same bare backend noticing nginx close its upstream connection included, p50 {LatencyStats.Format(nginxP50)} / p99 {LatencyStats.Format(nginxP99)} ms, {LatencyStats.Format(p99 - nginxP99)} ms less at p99");
            }
        }

        return split.Count == 0
            ? explanation
            : explanation + " Split per sample in the same run: " + string.Join("; ", split) + ". The proxy noticing is a Kestrel detection of its own, which nginx's hop replaces with its event loop; the backend's detection is in both.";
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
