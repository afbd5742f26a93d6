namespace AbortLab.Bench;

/// <summary>
/// Scenario 3: detection while a load generator (another process) holds about 80 % of the server's measured
/// maximum throughput. No detection may be missed.
/// </summary>
internal static class LoadScenario
{
    public static async Task<ScenarioReport> RunAsync(BenchSettings settings, Dictionary<string, LatencyStats> results)
    {
        var report = new ScenarioReport("load", "3. Detection under load", "Kestrel + AbortLab. First the closed-loop generator (32 connections, child process) finds the maximum requests/s on `/small`; then it holds 80 % of that while FIN aborts are measured one at a time. Ratio: p99 against the same server's p99 without load (scenario 1).");
        var recorder = new FireRecorder();
        await using var server = await KestrelServer.StartAsync(ServerVariant.AbortLab, recorder);
        var small = new Uri($"http://127.0.0.1:{server.Port}/small");
        var max = await LoadGenerator.RunAsync(small, settings.LoadDuration, 32);
        var target = max.RequestsPerSecond * 0.8;

        var loadDuration = settings.LoadDuration * 4;
        var load = LoadGenerator.RunAsync(small, loadDuration, 32, target);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var samples = new List<double?>();
        while (samples.Count < settings.LoadAborts && !load.IsCompleted)
        {
            var id = Ids.Next();
            samples.Add(await RawAbortClient.MeasureAsync(server.Port, $"/hold/{id}", id, reset: false, recorder, DetectionScenario.Timeout, CancellationToken.None));
        }

        var held = await load;
        var stats = LatencyStats.From(samples);
        results["under load, FIN"] = stats;
        report.Add("Kestrel + AbortLab, FIN, under load").Latency(stats)
            .Set("load req/s", Math.Round(held.RequestsPerSecond))
            .Set("max req/s", Math.Round(max.RequestsPerSecond))
            .Set("p99 ratio", DetectionScenario.Ratio(results, "under load, FIN", "Kestrel + AbortLab, FIN"));
        if (held.Errors > 0)
        {
            report.Notes.Add($"The load generator saw {held.Errors} errors.");
        }

        return report;
    }
}
