using AbortLab.Playwright;

namespace AbortLab.BrowserTests.Rig;

/// <summary>
/// The keepalive control's verdict, from timelines alone: keepalive covers the request, not its response, so an edge
/// that sees the browser drop a response the app already answered in full passes, while any hop cut short fails.
/// </summary>
public sealed class KeepaliveVerdictTests
{
    private static readonly DateTimeOffset Navigated = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void EdgeDroppedAfterTheAppAnswered_Passes_WithANote()
    {
        var verdict = Judge(
            Hop("edge", completedAfterMs: 3010, abortedAfterMs: 3005),
            Hop("app", completedAfterMs: 3002, abortedAfterMs: null));

        Assert.True(verdict.Passed, string.Join("; ", verdict.Failures));
        Assert.Contains(verdict.Notes, n => n.Contains("hop 'edge'", StringComparison.Ordinal) && n.Contains("after hop 'app' had answered", StringComparison.Ordinal));
    }

    [Fact]
    public void EdgeAbortedBeforeTheAppAnswered_Fails()
    {
        var verdict = Judge(
            Hop("edge", completedAfterMs: 40, abortedAfterMs: 35),
            Hop("app", completedAfterMs: 3002, abortedAfterMs: null));

        Assert.Contains(verdict.Failures, f => f.StartsWith("hop 'edge' recorded ClientDisconnected", StringComparison.Ordinal));
    }

    [Fact]
    public void TheLastHopAborted_Fails()
    {
        var verdict = Judge(
            Hop("edge", completedAfterMs: 45, abortedAfterMs: 35),
            Hop("app", completedAfterMs: 40, abortedAfterMs: 36));

        Assert.Equal(2, verdict.Failures.Count);
        Assert.Contains(verdict.Failures, f => f.StartsWith("hop 'app' recorded ClientDisconnected", StringComparison.Ordinal));
    }

    private static AbortVerdict Judge(params RequestTimeline[] timelines)
    {
        var request = new AbortRequest(AbortKind.KeepaliveFetch, "/lab/process?ms=3000");
        var verdict = new AbortVerdict(request, "keepalive", new Uri("http://127.0.0.1/lab/process?ms=3000"), AbortKinds.Expectation(AbortKind.KeepaliveFetch))
        {
            BrowserAbortedAt = Navigated,
            Timelines = timelines,
        };
        VerdictJudge.Judge(verdict, request, new AbortRigOptions(), TimeSpan.FromSeconds(15), openConnections: null, Navigated.AddSeconds(5));
        return verdict;
    }

    private static RequestTimeline Hop(string hop, int completedAfterMs, int? abortedAfterMs) => new()
    {
        Id = hop + "-1",
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        Hop = hop,
        Method = "GET",
        Path = "/lab/process",
        Protocol = "HTTP/1.1",
        StartedAt = Navigated.AddMilliseconds(-20),
        CompletedAt = Navigated.AddMilliseconds(completedAfterMs),
        AbortedAt = abortedAfterMs is { } ms ? Navigated.AddMilliseconds(ms) : null,
        AbortReason = abortedAfterMs is null ? null : AbortReason.ClientDisconnected,
        StatusCode = abortedAfterMs is null ? 200 : 499,
        Work = [],
    };
}
