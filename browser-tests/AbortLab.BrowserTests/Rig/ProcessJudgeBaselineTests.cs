using AbortLab.Playwright;

namespace AbortLab.BrowserTests.Rig;

/// <summary>The process rules the rig applies to work that does not carry the request: idle baseline, streams still read.</summary>
public sealed class ProcessJudgeBaselineTests
{
    private const long SliceNs = 100_000_000;

    [Fact]
    public void GentleWorkAfterTheRequest_WellAboveTheIdleBefore_Fails()
    {
        var verdict = Verdict();

        // 0.4 cores spread over pool threads that block often: no loop, no hopping, but far above an idle of 0.1.
        ProcessJudge.JudgeCpu(verdict, Series(runNsPerSlice: 40_000_000, switchesPerSlice: 20), threshold: 0.5, baselineSamples: Series(runNsPerSlice: 10_000_000, switchesPerSlice: 20, slices: 3));

        var failure = Assert.Single(verdict.Failures);
        Assert.StartsWith("work the app did not register is still running: process 42 kept working after the request's work stopped", failure, StringComparison.Ordinal);
        Assert.Contains("at least 0.40 cores in each of 5 slices", failure, StringComparison.Ordinal);
        Assert.Contains("against at most 0.10 before the request", failure, StringComparison.Ordinal);
        Assert.Contains("AbortScope.Current", failure, StringComparison.Ordinal);
        Assert.Equal(0.1, verdict.BaselineCpuCores!.Value, 3);
    }

    [Fact]
    public void SteadyWorkAfterTheRequest_OnAProcessBusyBefore_IsCaughtAsHopping_AndNamesTheQueueFix()
    {
        var verdict = Verdict();

        // A queue worker computing steadily on pool threads that block often (0.7 cores, always one runnable), in a
        // process that already ran 0.4 cores before the request: the idle rule cannot see it, the hopping rule does.
        ProcessJudge.JudgeCpu(verdict, Series(runNsPerSlice: 70_000_000, switchesPerSlice: 20), threshold: 0.5, baselineSamples: Series(runNsPerSlice: 40_000_000, switchesPerSlice: 20, slices: 3));

        var failure = Assert.Single(verdict.Failures);
        Assert.StartsWith("work the app did not register is still running: in process 42, its threads ran on at least 0.70 cores", failure, StringComparison.Ordinal);
        Assert.Contains("for a queue, hand the item the request's scope (AbortScope.Current)", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void GentleWorkAfterTheRequest_OnAProcessTheRigKeepsBusy_Fails()
    {
        var verdict = Verdict();

        // The shape two CI runs missed with a factor of two: 0.3 cores of idle (the rig in the app's process), a
        // queue worker adding 0.2 (0.5 in all, below the loop threshold's runnable share).
        ProcessJudge.JudgeCpu(verdict, Series(runNsPerSlice: 50_000_000, switchesPerSlice: 20), threshold: 0.5, baselineSamples: Series(runNsPerSlice: 30_000_000, switchesPerSlice: 20, slices: 3));

        var failure = Assert.Single(verdict.Failures);
        Assert.Contains("at least 0.50 cores in each of 5 slices", failure, StringComparison.Ordinal);
        Assert.Contains("against at most 0.30 before the request", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(15_000_000, 10_000_000)] // as busy as before the request
    [InlineData(20_000_000, 10_000_000)] // twice the idle, but less than 0.15 cores more
    [InlineData(30_000_000, 20_000_000)] // 1.5 times the idle, but less than 0.15 cores more
    public void QuietProcess_NearItsIdle_Passes(long quietRunNs, long idleRunNs)
    {
        var verdict = Verdict();

        ProcessJudge.JudgeCpu(verdict, Series(quietRunNs, switchesPerSlice: 20), threshold: 0.5, baselineSamples: Series(idleRunNs, switchesPerSlice: 20, slices: 3));

        Assert.Empty(verdict.Failures);
    }

    [Fact]
    public void WithoutABaseline_OnlyTheLoopRulesApply()
    {
        var verdict = Verdict();

        ProcessJudge.JudgeCpu(verdict, Series(runNsPerSlice: 40_000_000, switchesPerSlice: 20), threshold: 0.5);

        Assert.Empty(verdict.Failures);
    }

    [Fact]
    public void Connections_TheRigsOwnLeftOut_ByLocalPort_NotByTheBackendsPort()
    {
        var verdict = Verdict();
        var end = WithOutbound(
            new ConnectionReading("1", "127.0.0.1:40001", "127.0.0.1:5002", "established", 0, 512), // the app's, to a diagnostics address
            new ConnectionReading("2", "127.0.0.1:40002", "127.0.0.1:5002", "established", 0, 512)); // the rig's own

        ProcessJudge.JudgeConnections(verdict, [WithOutbound()], [end], new HashSet<int> { 40002 }, TimeSpan.FromMilliseconds(500));

        var failure = Assert.Single(verdict.Failures);
        Assert.Contains("127.0.0.1:40001 → 127.0.0.1:5002", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Connection_StillReceivingInTheQuietWindow_Fails_AndAnIdleOneIsNoted()
    {
        var verdict = Verdict();
        var end = WithOutbound(
            new ConnectionReading("1", "127.0.0.1:40001", "127.0.0.1:5002", "established", 0, 0) { LastReceivedMs = 12 },
            new ConnectionReading("2", "127.0.0.1:40003", "127.0.0.1:5002", "established", 0, 0) { LastReceivedMs = 4_000 });

        ProcessJudge.JudgeConnections(verdict, [WithOutbound()], [end], new HashSet<int>(), TimeSpan.FromMilliseconds(500));

        var failure = Assert.Single(verdict.Failures);
        Assert.Contains("127.0.0.1:40001 → 127.0.0.1:5002) that is still established and received data 12 ms ago", failure, StringComparison.Ordinal);
        var note = Assert.Single(verdict.Notes);
        Assert.Contains("127.0.0.1:40003", note, StringComparison.Ordinal);
        Assert.Contains("nothing received for 4000 ms", note, StringComparison.Ordinal);
    }

    [Fact]
    public void Connection_ReceivingFromADiagnosticsAddress_IsAnEventStreamClient_NotJudgedAsAStream()
    {
        var verdict = Verdict();
        var end = WithOutbound(new ConnectionReading("1", "127.0.0.1:40001", "127.0.0.1:5002", "established", 0, 0) { LastReceivedMs = 12 });

        ProcessJudge.JudgeConnections(verdict, [WithOutbound()], [end], new HashSet<int>(), TimeSpan.FromMilliseconds(500), diagnosticsPorts: new HashSet<int> { 5002 });

        Assert.Empty(verdict.Failures);
        Assert.Single(verdict.Notes);
    }

    private static AbortVerdict Verdict() => new(new AbortRequest(AbortKind.FetchBeforeResponse, "/x"), "tag", new Uri("http://127.0.0.1/x"), AbortExpectation.Aborted);

    // Four pool threads sharing the work evenly, each blocking often.
    private static List<IReadOnlyList<ProcessReading>> Series(long runNsPerSlice, long switchesPerSlice, int slices = 6) =>
        [.. Enumerable.Range(0, slices).Select(i => (IReadOnlyList<ProcessReading>)[Snapshot(i, runNsPerSlice, switchesPerSlice)])];

    private static ProcessReading Snapshot(int slice, long runNs, long switches) => new(
        Supported: true,
        ProcessId: 42,
        SampledAt: DateTimeOffset.UnixEpoch.AddMilliseconds(slice * 100),
        MonotonicNs: slice * SliceNs,
        CpuMs: 0,
        Threads: [.. Enumerable.Range(1, 4).Select(id => new ThreadReading(id, ".NET TP Worker", slice * runNs / 4, 0, slice * switches))],
        ThreadPool: new ThreadPoolReading(4, 0, 0),
        LastRequestId: 1,
        ActiveRequests: 0,
        Children: [],
        Outbound: []);

    private static ProcessReading WithOutbound(params ConnectionReading[] outbound) => Snapshot(0, 0, 0) with { Outbound = outbound };
}
