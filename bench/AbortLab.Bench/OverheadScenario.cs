using System.Runtime;

namespace AbortLab.Bench;

/// <summary>
/// Scenario 4: requests/s and server-side allocated bytes per request on a tiny endpoint, bare against AbortLab with
/// its diagnostics off (with and without its log sensor) (no API mapped, nobody watching) and on (<c>MapAbortLab</c> with a client following the event
/// stream, as an open dashboard does).
/// </summary>
internal static class OverheadScenario
{
    public static async Task<(ScenarioReport Report, Dictionary<ServerVariant, OverheadRun> Runs)> RunAsync(BenchSettings settings)
    {
        var wrk = ExternalPeer.Find("wrk");
        var client = wrk is null ? "the built-in closed-loop generator (child process, 32 connections)" : "wrk (1 thread, 32 connections)";
        var report = new ScenarioReport("overhead", "4. Overhead", $"`GET /small` (\"hello\") with {client}, {settings.LoadDuration.TotalSeconds:0} s per run after a 2 s warm-up, {settings.OverheadRounds} round(s), each starting with another variant; the median run is shown, with the slowest and fastest runs beside it. On {Environment.ProcessorCount} cores the client shares the CPU with the server. Bytes/request: the server process's allocations (GC.GetTotalAllocatedBytes) over the run, divided by requests.");
        var runs = new Dictionary<ServerVariant, List<(double Rps, double Bytes)>>();
        var recorder = new FireRecorder();
        for (var round = 0; round < settings.OverheadRounds; round++)
        {
            // Each round starts with another variant, so that none always runs first (coldest) or last.
            var variants = Enum.GetValues<ServerVariant>();
            foreach (var variant in variants.Skip(round % variants.Length).Concat(variants.Take(round % variants.Length)))
            {
                await using var server = await KestrelServer.StartAsync(variant, recorder);
                var url = new Uri($"http://127.0.0.1:{server.Port}/small");
                var follow = variant == ServerVariant.AbortLabWithDiagnostics
                    ? LoadGenerator.FollowAsync(new Uri($"http://127.0.0.1:{server.Port}/abortlab/api/stream"), settings.LoadDuration + TimeSpan.FromSeconds(3))
                    : Task.CompletedTask;
                await RunLoadAsync(wrk, url, TimeSpan.FromSeconds(2));
                GCSettings.LatencyMode = GCLatencyMode.Batch;
                var before = GC.GetTotalAllocatedBytes(precise: true);
                var result = await RunLoadAsync(wrk, url, settings.LoadDuration);
                var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                await follow;
                (runs.TryGetValue(variant, out var list) ? list : runs[variant] = []).Add((result.RequestsPerSecond, result.Requests > 0 ? (double)allocated / result.Requests : 0));
            }
        }

        var rps = new Dictionary<ServerVariant, OverheadRun>();
        foreach (var (variant, list) in runs)
        {
            var median = list.OrderBy(r => r.Rps).ElementAt(list.Count / 2);
            rps[variant] = new OverheadRun(median.Rps, median.Bytes);
            report.Add(Label(variant))
                .Set("req/s", Math.Round(median.Rps))
                .Set("slowest run req/s", Math.Round(list.Min(r => r.Rps)))
                .Set("fastest run req/s", Math.Round(list.Max(r => r.Rps)))
                .Set("bytes/request", (long)Math.Round(median.Bytes))
                .Set("req/s ratio", median.Rps / runs[ServerVariant.Bare].OrderBy(r => r.Rps).ElementAt(list.Count / 2).Rps);
        }

        return (report, rps);
    }

    public static string Label(ServerVariant variant) => variant switch
    {
        ServerVariant.Bare => "Kestrel (bare)",
        ServerVariant.AbortLab => "Kestrel + AbortLab, diagnostics off",
        ServerVariant.AbortLabWithoutLogSensor => "Kestrel + AbortLab, diagnostics off, log sensor off",
        _ => "Kestrel + AbortLab, diagnostics on (stream followed)",
    };

    private static Task<LoadGenerator.Result> RunLoadAsync(string? wrk, Uri url, TimeSpan duration) =>
        wrk is null ? LoadGenerator.RunAsync(url, duration, 32) : WrkClient.RunAsync(wrk, url, duration, 32);
}

/// <summary>The median run of one variant in scenario 4: requests/s and server-side bytes allocated per request.</summary>
internal readonly record struct OverheadRun(double Rps, double BytesPerRequest);
