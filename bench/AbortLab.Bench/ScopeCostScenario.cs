using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AbortLab.Bench;

/// <summary>Runs <see cref="ScopeCostBenchmarks"/> with BenchmarkDotNet (in process) and turns its summary into a table.</summary>
internal static class ScopeCostScenario
{
    public static (ScenarioReport Report, ScopeCost? Cost) Run(BenchSettings settings)
    {
        var job = (settings.Quick ? Job.ShortRun.WithWarmupCount(1).WithIterationCount(3) : Job.Default)
            .WithToolchain(InProcessEmitToolchain.Instance);
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(NullLogger.Instance)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "abortlab-bench", "BenchmarkDotNet.Artifacts"))
            .WithOptions(ConfigOptions.DisableLogFile);
#if DEBUG
        config = config.WithOptions(ConfigOptions.DisableOptimizationsValidator);
#endif
        var summary = BenchmarkRunner.Run<ScopeCostBenchmarks>(config);
        var report = new ScenarioReport("scope-cost", "4b. Per-request cost (BenchmarkDotNet)", $"The middleware over a `DefaultHttpContext`, no sockets: what a scope and a timeline cost per request. BenchmarkDotNet {(settings.Quick ? "short run (1 warm-up, 3 iterations)" : "default job")}, in process.");
        foreach (var benchmark in summary.BenchmarksCases)
        {
            var result = summary[benchmark];
            var statistics = result?.ResultStatistics;
            report.Add(benchmark.Descriptor.WorkloadMethodDisplayInfo)
                .Set("mean ns", statistics?.Mean)
                .Set("allocated bytes/op", result?.GcStats.GetBytesAllocatedPerOperation(benchmark));
        }

        if (summary.HasCriticalValidationErrors)
        {
            report.Notes.AddRange(summary.ValidationErrors.Select(e => $"BenchmarkDotNet: {e.Message}"));
        }

        return (report, CostOf(summary));
    }

    private static ScopeCost? CostOf(Summary summary)
    {
        (double Ns, double Bytes)? Of(string method)
        {
            var benchmark = summary.BenchmarksCases.FirstOrDefault(b => b.Descriptor.WorkloadMethod.Name == method);
            var result = benchmark is null ? null : summary[benchmark];
            return result?.ResultStatistics is { } statistics && result.GcStats.GetBytesAllocatedPerOperation(benchmark!) is { } bytes
                ? (statistics.Mean, bytes)
                : null;
        }

        return Of(nameof(ScopeCostBenchmarks.Bare)) is { } bare && Of(nameof(ScopeCostBenchmarks.WithAbortLab)) is { } withAbortLab
            ? new ScopeCost(bare.Ns, withAbortLab.Ns, bare.Bytes, withAbortLab.Bytes)
            : null;
    }
}
