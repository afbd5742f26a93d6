using AbortLab.Playwright;

namespace AbortLab.BrowserTests.Rig;

/// <summary>The verdict's rules for an aborted request, judged from timelines alone: no browser, no server.</summary>
public sealed class AbortedVerdictTests
{
    private static readonly DateTimeOffset BrowserAborted = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);

    [Fact]
    public void RequestAnsweredBeforeTheAbortReachedIt_SaysSo_NotThatItIgnoredTheAbort()
    {
        var verdict = Judge(Hop(completedAfterMs: -5, abortedAfterMs: null, status: 200), judgedAfterMs: 1400);

        var failure = Assert.Single(verdict.Failures);
        Assert.Contains("answered 200 5 ms before the browser's abort, before the abort could reach it", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void RequestAnsweredLongAfterTheAbort_IgnoredIt()
    {
        var verdict = Judge(Hop(completedAfterMs: 400, abortedAfterMs: null, status: 200), judgedAfterMs: 1400);

        Assert.Contains(verdict.Failures, f => f.Contains("never saw the abort: it answered 200 as if the client were still there", StringComparison.Ordinal));
    }

    [Fact]
    public void ConnectionStillOpen_NamesTheTimeTheRigWatched_NotTheDeadline()
    {
        var verdict = Judge(Hop(completedAfterMs: 3, abortedAfterMs: 2, status: 499, connectionClosed: false), judgedAfterMs: 1400);

        var failure = Assert.Single(verdict.Failures);
        Assert.Equal("hop 'app''s HTTP/1.1 connection was still open 1400 ms after the abort.", failure);
    }

    [Fact]
    public void CodeThatRanPastTheBound_FailsNamingWhereItBegan()
    {
        var hop = Hop(completedAfterMs: 3, abortedAfterMs: 2, status: 499, runs:
        [
            Run("an async continuation", "thread pool", firstMs: 100, lastMs: 1300, runs: 12),
            Run("a timer callback", "thread pool", firstMs: 100, lastMs: 500, runs: 4),
        ]);

        var verdict = Judge(hop, judgedAfterMs: 1400);

        var failure = Assert.Single(verdict.Failures);
        Assert.StartsWith("code of the request on hop 'app' still ran 1298 ms after the abort (bound 1000 ms): an async continuation on the thread pool (12 runs", failure, StringComparison.Ordinal);
        Assert.Contains("a timer callback on the thread pool (4 runs after the abort, the last until 498 ms)", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void CodeStillRunningOnItsThread_FailsNamingTheThread()
    {
        var hop = Hop(completedAfterMs: 3, abortedAfterMs: 2, status: 499, runs: [Run("a new thread", "report-writer", firstMs: 2, lastMs: null, runs: 1)]);

        var verdict = Judge(hop, judgedAfterMs: 1400);

        Assert.Contains(verdict.Failures, f => f.Contains("a new thread on thread 'report-writer' (still running, since 0 ms after the abort)", StringComparison.Ordinal));
    }

    [Fact]
    public void CodeThatStoppedWithinTheBound_Passes()
    {
        var hop = Hop(completedAfterMs: 3, abortedAfterMs: 2, status: 499, runs:
        [
            Run("an async continuation", "thread pool", firstMs: 2, lastMs: 3, runs: 2),
            Run("a response-completion callback", "thread pool", firstMs: 4, lastMs: 900, runs: 3),
        ]);

        var verdict = Judge(hop, judgedAfterMs: 1400);

        Assert.True(verdict.Passed, string.Join(" ", verdict.Failures));
    }

    [Fact]
    public void CodeThatCameBackAfterItsHopStopped_IsReadAgainOnceTheBoundPassed()
    {
        var cameBack = Hop(completedAfterMs: 3, abortedAfterMs: 2, status: 499, runs: [Run("a timer callback", "thread pool", firstMs: 100, lastMs: 200, runs: 2)]);
        var stoppedInTime = Hop(completedAfterMs: 3, abortedAfterMs: 2, status: 499, runs: [Run("an async continuation", "thread pool", firstMs: 2, lastMs: 3, runs: 1)]);
        var judgedAt = BrowserAborted.AddMilliseconds(600);

        Assert.Equal(TimeSpan.FromMilliseconds(652), VerdictJudge.BoundStillAhead(AbortKind.FetchBeforeResponse, [cameBack], Bound, judgedAt));
        Assert.Null(VerdictJudge.BoundStillAhead(AbortKind.FetchBeforeResponse, [stoppedInTime], Bound, judgedAt));
        Assert.Null(VerdictJudge.BoundStillAhead(AbortKind.FetchBeforeResponse, [cameBack], Bound, judgedAt.AddSeconds(1)));
    }

    [Fact]
    public void RepeatedWrites_AreOneFailure_WithTheirCount()
    {
        var hop = Hop(completedAfterMs: 3, abortedAfterMs: 2, status: 499);
        var writes = Enumerable.Range(1, 3).Select(i => new OperationRecord { Source = "System.Net.Http", Name = "http GET", StartedAt = BrowserAborted.AddMilliseconds(100 * i), StartedFrom = "Poller.Tick" }).ToList();

        var verdict = Judge(With(hop, writes), judgedAfterMs: 1400);

        var failure = Assert.Single(verdict.Failures);
        Assert.Equal("hop 'app' wrote after its client left: http GET (System.Net.Http) started 98 ms after the abort by Poller.Tick, 3 times until 298 ms. "
            + "Something caught the abort and carried on, or started work that does not observe the request's token.", failure);
    }

    private static AbortVerdict Judge(RequestTimeline timeline, int judgedAfterMs)
    {
        var request = new AbortRequest(AbortKind.FetchBeforeResponse, "/work");
        var verdict = new AbortVerdict(request, "aborted", new Uri("http://127.0.0.1/work"), AbortKinds.Expectation(request.Kind))
        {
            BrowserAbortedAt = BrowserAborted,
            Timelines = [timeline],
        };
        VerdictJudge.Judge(verdict, request, new AbortRigOptions { WorkStopBound = Bound }, TimeSpan.FromSeconds(15), openConnections: null, BrowserAborted.AddMilliseconds(judgedAfterMs));
        return verdict;
    }

    private static RequestTimeline With(RequestTimeline timeline, IReadOnlyList<OperationRecord> operations) => new()
    {
        Id = timeline.Id,
        TraceId = timeline.TraceId,
        Hop = timeline.Hop,
        Method = timeline.Method,
        Path = timeline.Path,
        Protocol = timeline.Protocol,
        StartedAt = timeline.StartedAt,
        CompletedAt = timeline.CompletedAt,
        AbortedAt = timeline.AbortedAt,
        AbortReason = timeline.AbortReason,
        StatusCode = timeline.StatusCode,
        ConnectionClosedAt = timeline.ConnectionClosedAt,
        Work = timeline.Work,
        OperationsAfterAbort = operations,
    };

    private static CodeRunRecord Run(string startedFrom, string thread, int firstMs, int? lastMs, int runs) => new()
    {
        StartedFrom = startedFrom,
        Thread = thread,
        ThreadId = thread.Length,
        FirstRanAt = BrowserAborted.AddMilliseconds(firstMs),
        LastRanAt = lastMs is { } ms ? BrowserAborted.AddMilliseconds(ms) : null,
        Runs = runs,
        Running = lastMs is null,
    };

    private static RequestTimeline Hop(int completedAfterMs, int? abortedAfterMs, int status, bool connectionClosed = true, IReadOnlyList<CodeRunRecord>? runs = null) => new()
    {
        Id = "1",
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        Hop = "app",
        Method = "GET",
        Path = "/work",
        Protocol = "HTTP/1.1",
        StartedAt = BrowserAborted.AddMilliseconds(-300),
        CompletedAt = BrowserAborted.AddMilliseconds(completedAfterMs),
        AbortedAt = abortedAfterMs is { } ms ? BrowserAborted.AddMilliseconds(ms) : null,
        AbortReason = abortedAfterMs is null ? null : AbortReason.ClientDisconnected,
        StatusCode = status,
        ConnectionClosedAt = connectionClosed ? BrowserAborted.AddMilliseconds(completedAfterMs + 1) : null,
        Work = [],
        CodeAfterAbort = runs ?? [],
    };
}
