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
        var job = (settings.Quick ? Job.ShortRun.WithWarmupCount(1).WithIterationCount(3) : Job.Default.WithMinIterationCount(15).WithMaxIterationCount(30))
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
        var report = new ScenarioReport("scope-cost", "4b. Per-request cost (BenchmarkDotNet)", $"The middleware with no sockets, each pipeline without and with AbortLab: over a fresh `DefaultHttpContext` (whose feature collection has to grow for the features a middleware adds); over a server-like context (lifetime feature present, collection with room, as a server hands requests over); an app-like pipeline (Request Timeouts with a default policy, an HttpClient call to an in-memory handler; with AbortLab, its propagation handler and one tracked work); a request whose path is in `ExcludedPaths`, which passes through; and the first pair's pipeline with every request recorded (by default, past `RecordedRequestsPerSecond` a normal request takes no slot in the ring and publishes no event). BenchmarkDotNet {(settings.Quick ? "short run (1 warm-up, 3 iterations)" : "default job, 15 to 30 iterations")}, in process.");
        foreach (var benchmark in summary.BenchmarksCases)
        {
            var result = summary[benchmark];
            var statistics = result?.ResultStatistics;
            report.Add(benchmark.Descriptor.WorkloadMethodDisplayInfo.Trim('\''))
                .Set("mean ns", statistics?.Mean)
                .Set("allocated bytes/op", result?.GcStats.GetBytesAllocatedPerOperation(benchmark));
        }

        if (summary.HasCriticalValidationErrors)
        {
            report.Notes.Add(string.Join(" ", summary.ValidationErrors.Select(e => $"BenchmarkDotNet: {e.Message}")));
        }

        var requests = settings.Quick ? 300_000 : 2_000_000;
        var allocations = SampleAllocations(requests);
        if (allocations.Count > 0)
        {
            var known = allocations.Sum(a => a.InstanceBytes ?? 0);
            report.Notes.Add($"Sampled in this run (the runtime's GCAllocationTick events, as dotnet-trace's gc-verbose profile records them) over {requests:N0} requests of each server-like pipeline, the types allocated only with AbortLab, each with the size of one instance: {string.Join(", ", allocations)}; {known} B together.");
        }

        var cost = CostOf(summary, allocations);
        return (report, cost);
    }

    // Both server-like pipelines under the allocation sampler; the types only AbortLab's allocated, and their sizes.
    private static List<AllocationShare> SampleAllocations(int requests)
    {
        var benchmarks = new ScopeCostBenchmarks();
        benchmarks.Setup();
        try
        {
            using var sampler = new AllocationSampler();
            IReadOnlyDictionary<string, long> Sample(Func<Task> request)
            {
                for (var i = 0; i < 10_000; i++)
                {
                    request().GetAwaiter().GetResult();
                }

                sampler.Start();
                for (var i = 0; i < requests; i++)
                {
                    request().GetAwaiter().GetResult();
                }

                return sampler.Stop();
            }

            var bare = Sample(benchmarks.ServerLikeBare);
            var withAbortLab = Sample(benchmarks.ServerLikeWithAbortLab);
            return [.. withAbortLab
                .Where(t => !bare.ContainsKey(t.Key) && !IsSamplersOwn(t.Key))
                .OrderByDescending(t => t.Value)
                .Select(t => new AllocationShare(ShortName(t.Key), InstanceSize(t.Key)))];
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }

    // The listener boxes each event's payload: those allocations are the sampler's, whichever pipeline runs.
    private static bool IsSamplersOwn(string typeName) =>
        Type.GetType(typeName) is { } type && (type.IsPrimitive || type == typeof(string) || type == typeof(object[]) || type.Namespace == "System.Diagnostics.Tracing");

    // One instance's size, measured by allocating one (uninitialised) on this thread; null for arrays and unknown types.
    private static long? InstanceSize(string typeName)
    {
        // The runtime names a nested type by its own name only (OneElementAsyncLocalValueMap).
        var type = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null)
            ?? (typeName.Contains('.', StringComparison.Ordinal) ? null : typeof(object).Assembly.GetTypes().FirstOrDefault(t => t.Name == typeName));
        if (type is null || type.IsArray || type.IsAbstract || type == typeof(string) || type.ContainsGenericParameters)
        {
            return null;
        }

        System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(type);
        var before = GC.GetAllocatedBytesForCurrentThread();
        System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(type);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static string ShortName(string type)
    {
        var generic = type.IndexOf('[', StringComparison.Ordinal);
        var name = generic < 0 ? type : type[..generic];
        var dot = name.LastIndexOf('.');
        return (dot < 0 ? name : name[(dot + 1)..]) + (generic < 0 ? string.Empty : type[generic..].Replace("System.", string.Empty, StringComparison.Ordinal));
    }

    private static ScopeCost? CostOf(Summary summary, IReadOnlyList<AllocationShare> allocations)
    {
        (double Ns, double Bytes)? Of(string method)
        {
            var benchmark = summary.BenchmarksCases.FirstOrDefault(b => b.Descriptor.WorkloadMethod.Name == method);
            var result = benchmark is null ? null : summary[benchmark];
            return result?.ResultStatistics is { } statistics && result.GcStats.GetBytesAllocatedPerOperation(benchmark!) is { } bytes
                ? (statistics.Mean, bytes)
                : null;
        }

        ScopeCostPair? Pair(string label, string bareMethod, string abortLabMethod) =>
            Of(bareMethod) is { } bare && Of(abortLabMethod) is { } withAbortLab
                ? new ScopeCostPair(label, bare.Ns, withAbortLab.Ns, bare.Bytes, withAbortLab.Bytes)
                : null;

        return Pair("over DefaultHttpContext", nameof(ScopeCostBenchmarks.Bare), nameof(ScopeCostBenchmarks.WithAbortLab)) is { } defaultContext
            ? new ScopeCost(
                defaultContext,
                Pair("server-like context", nameof(ScopeCostBenchmarks.ServerLikeBare), nameof(ScopeCostBenchmarks.ServerLikeWithAbortLab)),
                Pair("app-like pipeline", nameof(ScopeCostBenchmarks.AppBare), nameof(ScopeCostBenchmarks.AppWithAbortLab)),
                Pair("a path in ExcludedPaths", nameof(ScopeCostBenchmarks.Bare), nameof(ScopeCostBenchmarks.WithExcludedPath)),
                Pair("every request recorded", nameof(ScopeCostBenchmarks.Bare), nameof(ScopeCostBenchmarks.WithEveryRequestRecorded)),
                allocations)
            : null;
    }
}
