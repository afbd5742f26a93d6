using System.Globalization;
using System.Reflection;
using AbortLab.Bench;

if (args.Length > 0 && args[0] is "loadgen" or "follow")
{
    return await LoadGenerator.RunChildAsync(args);
}

if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(BenchSettings.Usage);
    return 0;
}

if (!BenchSettings.TryParse(args, DefaultOutput(), out var settings, out var error))
{
    Console.Error.WriteLine($"AbortLab.Bench: {error}");
    Console.Error.WriteLine(BenchSettings.Usage);
    return 2;
}

static string VersionOf(Type type) => type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";
var peers = string.Join(", ", new[] { "node", "nginx", "wrk" }.Select(p => ExternalPeer.Find(p) is null ? $"{p} not installed" : $"{p} {Version(p)}"))
    + $", YARP {VersionOf(typeof(Yarp.ReverseProxy.Forwarder.IHttpForwarder))}, Kestrel {VersionOf(typeof(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions))}";
var report = new BenchReport { Machine = MachineInfo.Read(peers), Quick = settings!.Quick };
var latencies = new Dictionary<string, LatencyStats>(StringComparer.Ordinal);
Dictionary<AbortLab.Bench.ServerVariant, OverheadRun>? rps = null;
StormScenario.Outcome? storm = null;
List<SubscriberSoakScenario.Outcome>? soak = null;
LiveRequestsScenario.Outcome? live = null;
ScopeCost? cost = null;
MemoryScenario.Outcome? memory = null;
DatabaseScenario.Outcome? database = null;
BrowserDatabaseScenario.Outcome? browserDatabase = null;

async Task RunAsync(string name, Func<Task<ScenarioReport>> scenario)
{
    if (!settings.Runs(name))
    {
        return;
    }

    var started = TimeProvider.System.GetTimestamp();
    Console.Write($"{name}... ");
    RawAbortClient.Errors.Clear();
    var result = await scenario();
    if (!RawAbortClient.Errors.IsEmpty)
    {
        result.Notes.Add($"{RawAbortClient.Errors.Count} sample(s) counted as missed because the request failed before its first byte, for example: {RawAbortClient.Errors.First()}.");
    }

    while (MissEvidence.Notes.TryDequeue(out var evidence))
    {
        result.Notes.Add(evidence);
    }

    report.Scenarios.Add(result);
    Console.WriteLine($"{TimeProvider.System.GetElapsedTime(started).TotalSeconds:0.0} s");
}

await RunAsync("detection", () => DetectionScenario.RunAsync(settings, latencies));
await RunAsync("hop", () => HopScenario.RunAsync(settings, latencies));
await RunAsync("load", () => LoadScenario.RunAsync(settings, latencies));
await RunAsync("overhead", async () =>
{
    var (scenario, measured) = await OverheadScenario.RunAsync(settings);
    rps = measured;
    return scenario;
});
await RunAsync("scope-cost", () =>
{
    var (scenario, measured) = ScopeCostScenario.Run(settings);
    cost = measured;
    return Task.FromResult(scenario);
});
await RunAsync("storm", async () =>
{
    var (scenario, outcome) = await StormScenario.RunAsync(settings);
    storm = outcome;
    return scenario;
});
await RunAsync("upload", () => StalledUploadScenario.RunAsync(settings, latencies));
await RunAsync("subscribers", async () =>
{
    var (scenario, outcomes) = await SubscriberSoakScenario.RunAsync(settings);
    soak = outcomes;
    return scenario;
});
await RunAsync("live", async () =>
{
    var (scenario, outcome) = await LiveRequestsScenario.RunAsync(settings);
    live = outcome;
    return scenario;
});

await RunAsync("memory", async () =>
{
    var (scenario, outcome) = await MemoryScenario.RunAsync(settings);
    memory = outcome;
    return scenario;
});

await RunAsync("database", async () =>
{
    var (scenario, outcome) = await DatabaseScenario.RunAsync(settings);
    database = outcome;
    return scenario;
});

await RunAsync("browser-database", async () =>
{
    var (scenario, outcome) = await BrowserDatabaseScenario.RunAsync(settings);
    browserDatabase = outcome;
    return scenario;
});

report.Targets.AddRange(TargetChecks.Evaluate(latencies, rps, cost, storm, soak, live, memory, database, browserDatabase));
Directory.CreateDirectory(settings.OutputDirectory);
var stamp = report.Machine.StartedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + (settings.Quick ? "-quick" : string.Empty);
var markdown = report.ToMarkdown();
var json = report.ToJson();
await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, $"report-{stamp}.md"), markdown);
await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, $"report-{stamp}.json"), json);
// A run of some scenarios only (--only) keeps its own report and leaves the latest full one in place.
if (settings.Only.Count == 0)
{
    await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, settings.Quick ? "latest-quick.md" : "latest.md"), markdown);
    await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, settings.Quick ? "latest-quick.json" : "latest.json"), json);
}
Console.WriteLine();
Console.WriteLine(markdown);
Console.WriteLine($"Report: {Path.Combine(settings.OutputDirectory, $"report-{stamp}.md")} (and .json)");
return 0;

static string DefaultOutput()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "AbortLab.sln")))
        {
            return Path.Combine(directory.FullName, "bench", "results");
        }
    }

    return Path.Combine(Directory.GetCurrentDirectory(), "bench-results");
}

static string Version(string program) => program switch
{
    "node" => MachineInfo.Run("node", "--version") ?? "?",
    "nginx" => MachineInfo.Run(ExternalPeer.Find("nginx")!, "-v")?.Split('/').LastOrDefault() ?? "?",
    // wrk prints its version with -v and exits 1.
    _ => MachineInfo.Run(program, "-v", anyExitCode: true)?.Split(' ').ElementAtOrDefault(1) ?? "?",
};
