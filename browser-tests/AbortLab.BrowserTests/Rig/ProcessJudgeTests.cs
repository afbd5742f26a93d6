using AbortLab.Playwright;

namespace AbortLab.BrowserTests.Rig;

/// <summary>The CPU rule of the quiet window, without a browser: a loop is a loop even when collections suspend it.</summary>
public sealed class ProcessJudgeTests
{
    private const long SliceNs = 100_000_000;

    [Fact]
    public void ASpinningThread_SuspendedByCollections_IsStillALoop()
    {
        var verdict = Verdict();

        ProcessJudge.JudgeCpu(verdict, Series(runNsPerSlice: 40_000_000, waitNsPerSlice: 45_000_000, switchesPerSlice: 5, collectionsPerSlice: 3), threshold: 0.5);

        Assert.Contains(verdict.Failures, f => f.Contains("'spinner'", StringComparison.Ordinal));
    }

    [Fact]
    public void ASpinningThread_NotSuspended_IsALoop()
    {
        var verdict = Verdict();

        ProcessJudge.JudgeCpu(verdict, Series(runNsPerSlice: 40_000_000, waitNsPerSlice: 45_000_000, switchesPerSlice: 1, collectionsPerSlice: 0), threshold: 0.5);

        Assert.NotEmpty(verdict.Failures);
    }

    [Fact]
    public void AThreadThatBlocksOften_WithoutCollections_IsNoLoop()
    {
        var verdict = Verdict();

        // The same thread (on a core 40 % of each slice, waiting for one 45 %: a loaded machine), but it gave up its core
        // five times a slice with no collection to explain it: it waits on something, and wakes often.
        ProcessJudge.JudgeCpu(verdict, Series(runNsPerSlice: 40_000_000, waitNsPerSlice: 45_000_000, switchesPerSlice: 5, collectionsPerSlice: 0), threshold: 0.5);

        Assert.Empty(verdict.Failures);
    }

    [Fact]
    public void AnIdleThread_IsNoLoop_HoweverManyCollections()
    {
        var verdict = Verdict();

        ProcessJudge.JudgeCpu(verdict, Series(runNsPerSlice: 2_000_000, waitNsPerSlice: 1_000_000, switchesPerSlice: 20, collectionsPerSlice: 10), threshold: 0.5);

        Assert.Empty(verdict.Failures);
    }

    private static AbortVerdict Verdict() => new(new AbortRequest(AbortKind.FetchBeforeResponse, "/x"), "tag", new Uri("http://127.0.0.1/x"), AbortExpectation.Aborted);

    private static List<IReadOnlyList<ProcessReading>> Series(long runNsPerSlice, long waitNsPerSlice, long switchesPerSlice, long collectionsPerSlice) =>
        [.. Enumerable.Range(0, 6).Select(i => (IReadOnlyList<ProcessReading>)[Snapshot(i, runNsPerSlice, waitNsPerSlice, switchesPerSlice, collectionsPerSlice)])];

    private static ProcessReading Snapshot(int slice, long runNs, long waitNs, long switches, long collections) => new(
        Supported: true,
        ProcessId: 42,
        SampledAt: DateTimeOffset.UnixEpoch.AddMilliseconds(slice * 100),
        MonotonicNs: slice * SliceNs,
        CpuMs: 0,
        Threads: [new ThreadReading(7, "spinner", slice * runNs, slice * waitNs, slice * switches)],
        ThreadPool: new ThreadPoolReading(4, 0, 0),
        LastRequestId: 1,
        ActiveRequests: 0,
        Children: [],
        Outbound: [],
        GarbageCollections: slice * collections);
}
