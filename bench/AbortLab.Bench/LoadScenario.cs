namespace AbortLab.Bench;

/// <summary>
/// Scenario 3: detection while a load generator (another process) holds about 80 % of the AbortLab server's
/// measured maximum throughput; bare Kestrel under the same rate beside it. No detection may be missed.
/// </summary>
internal static class LoadScenario
{
    public static async Task<ScenarioReport> RunAsync(BenchSettings settings, Dictionary<string, LatencyStats> results)
    {
        var report = new ScenarioReport("load", "3. Detection under load", "First the closed-loop generator (32 connections, child process) finds Kestrel + AbortLab's maximum requests/s on `/small`; then it holds 80 % of that, against Kestrel + AbortLab and against bare Kestrel in turn, while FIN aborts are measured one at a time. Ratio: p99 against bare Kestrel's p99 under the same load.");
        double? target = null;
        var rows = new List<(ReportRow Row, string Key)>();
        foreach (var variant in new[] { ServerVariant.AbortLab, ServerVariant.Bare })
        {
            var recorder = new FireRecorder();
            await using var server = await KestrelServer.StartAsync(variant, recorder);
            var small = new Uri($"http://127.0.0.1:{server.Port}/small");
            LoadGenerator.Result? max = null;
            if (target is null)
            {
                max = await LoadGenerator.RunAsync(small, settings.LoadDuration, 32);
                target = max.RequestsPerSecond * 0.8;
            }

            var load = LoadGenerator.RunAsync(small, settings.LoadDuration * 4, 32, target.Value);
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var samples = new List<double?>();
            while (samples.Count < settings.LoadAborts && !load.IsCompleted)
            {
                var id = Ids.Next();
                samples.Add(await RawAbortClient.MeasureAsync(server.Port, $"/hold/{id}", id, reset: false, recorder, DetectionScenario.Timeout, CancellationToken.None));
            }

            var held = await load;
            var stats = LatencyStats.From(samples);
            var key = variant == ServerVariant.Bare ? "under load, bare, FIN" : "under load, FIN";
            results[key] = stats;
            rows.Add((report.Add($"{(variant == ServerVariant.Bare ? "Kestrel (bare)" : "Kestrel + AbortLab")}, FIN, under load").Latency(stats)
                .Set("load req/s", Math.Round(held.RequestsPerSecond))
                .Set("max req/s", max is null ? null : Math.Round(max.RequestsPerSecond)), key));
            if (held.Errors > 0)
            {
                report.Notes.Add($"The load generator saw {held.Errors} errors against {variant}.");
            }
        }

        foreach (var (row, key) in rows)
        {
            row.Set("p99 ratio", DetectionScenario.Ratio(results, key, "under load, bare, FIN"));
        }

        return report;
    }
}
