using AbortLab.Playwright;
using Microsoft.Extensions.Logging;

namespace AbortLab.BrowserTests.Rig;

/// <summary>
/// Each of the verdict's rules, judged from timelines alone: once with the fault it names (the verdict fails with
/// its message), once with the same request behaving (the rule stays silent). No browser, no server.
/// </summary>
public sealed class VerdictRuleTests
{
    private static readonly DateTimeOffset BrowserAborted = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);

    public static TheoryData<string, string> Faults() => new()
    {
        { "route-abort-reached-the-server", "though the browser failed it before sending: the route did not abort it" },
        { "nothing-recorded", "the server recorded nothing tagged 'cell' within 15 s" },
        { "expected-hop-missing", "hop 'backend' recorded nothing tagged 'cell'" },
        { "websocket-front-hop-still-open", "hop 'edge' had not ended its request 1400 ms after the browser's close" },
        { "websocket-last-hop-no-abort", "hop 'app' recorded no abort within 1400 ms of the browser's close, not ClientDisconnected" },
        { "entry-never-saw-the-abort", "hop 'app' never saw the abort within 1400 ms of the browser's (status none yet)" },
        { "entry-wrong-reason", "hop 'app' recorded the abort as Timeout, not ClientDisconnected" },
        { "hop-behind-not-told", "hop 'backend' never saw the abort: the hop in front of it did not pass it on (status none yet, still running)" },
        { "work-still-running", "work 'query' on hop 'app' was still running 1398 ms after the abort (bound 1000 ms)" },
        { "work-stopped-late", "work 'query' on hop 'app' stopped 1198 ms after the abort, later than the bound of 1000 ms" },
        { "pipeline-still-running", "hop 'app''s pipeline (GET /work) was still running 1398 ms after the abort (bound 1000 ms)" },
        { "answered-late", "hop 'app' answered 1198 ms after the abort, later than the bound of 1000 ms" },
        { "error-logged", "the abort was logged as an error: hop 'app' logged Error from 'Shop' with TaskCanceledException" },
        { "work-started-after-abort", "hop 'app' started work 'report' 100 ms after its client left, and it ended Completed" },
        { "detached-work-running", "detached work 'mail' queued by the aborted request on hop 'app' is still running" },
        { "zombie", "hop 'app' flagged the request a zombie" },
        { "http2-connection-closed", "hop 'app' closed the HTTP/2 connection" },
    };

    public static TheoryData<string> Twins() => [.. Faults().Select(row => (string)row[0])];

    [Theory]
    [MemberData(nameof(Faults))]
    public void Rule_FailsTheFault_NamingIt(string rule, string expected)
    {
        var verdict = Judge(Case(rule, faulty: true));

        Assert.Contains(verdict.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Twins))]
    public void Rule_PassesTheSameRequestBehaving(string rule)
    {
        var verdict = Judge(Case(rule, faulty: false));

        Assert.True(verdict.Passed, $"{rule}: {string.Join(" | ", verdict.Failures)}");
    }

    private sealed record Cell(AbortKind Kind, IReadOnlyList<RequestTimeline> Timelines, IReadOnlyList<string>? ExpectedHops = null, IReadOnlySet<string>? OpenConnections = null);

    // The same request each time (the abort reaches the entry hop 2 ms after the browser's), with or without the one fault the rule is about.
    private static Cell Case(string rule, bool faulty) => rule switch
    {
        "route-abort-reached-the-server" => new(AbortKind.RouteAbort, faulty ? [Stopped("app")] : []),
        "nothing-recorded" => new(AbortKind.FetchBeforeResponse, faulty ? [] : [Stopped("app")]),
        "expected-hop-missing" => new(AbortKind.FetchBeforeResponse, faulty ? [Stopped("app")] : [Stopped("app"), Stopped("backend")], ExpectedHops: ["app", "backend"]),
        "websocket-front-hop-still-open" => new(AbortKind.WebSocketClose, [faulty ? Stopped("edge", completedMs: null, abortedMs: null) : Stopped("edge", abortedMs: null, status: 101), Stopped("app")]),
        "websocket-last-hop-no-abort" => new(AbortKind.WebSocketClose, [Stopped("edge", abortedMs: null, status: 101), faulty ? Stopped("app", abortedMs: null, status: 101) : Stopped("app")]),
        "entry-never-saw-the-abort" => new(AbortKind.FetchBeforeResponse, [faulty ? Stopped("app", completedMs: null, abortedMs: null, status: null) : Stopped("app")]),
        "entry-wrong-reason" => new(AbortKind.FetchBeforeResponse, [Stopped("app", reason: faulty ? AbortReason.Timeout : AbortReason.ClientDisconnected)]),
        "hop-behind-not-told" => new(AbortKind.FetchBeforeResponse, [Stopped("app"), faulty ? Stopped("backend", completedMs: null, abortedMs: null, status: null) : Stopped("backend", abortedMs: 3)]),
        "work-still-running" => new(AbortKind.FetchBeforeResponse, [Stopped("app", completedMs: faulty ? null : 6, work: [Work("query", startedMs: -100, endedMs: faulty ? null : 5)])]),
        "work-stopped-late" => new(AbortKind.FetchBeforeResponse, [Stopped("app", completedMs: faulty ? 1201 : 4, work: [Work("query", startedMs: -100, endedMs: faulty ? 1200 : 5)])]),
        "pipeline-still-running" => new(AbortKind.FetchBeforeResponse, [Stopped("app", completedMs: faulty ? null : 4)]),
        "answered-late" => new(AbortKind.FetchBeforeResponse, [Stopped("app", completedMs: faulty ? 1200 : 4)]),
        "error-logged" => new(AbortKind.FetchBeforeResponse, [Stopped("app", logs: [Log(faulty ? LogLevel.Error : LogLevel.Debug)])]),
        "work-started-after-abort" => new(AbortKind.FetchBeforeResponse, [Stopped("app", work: [Work("report", startedMs: 102, endedMs: 103, faulty ? WorkOutcome.Completed : WorkOutcome.Canceled)])]),
        "detached-work-running" => new(AbortKind.FetchBeforeResponse, [Stopped("app", detached: [Work("mail", startedMs: -50, endedMs: faulty ? null : 40, faulty ? WorkOutcome.Running : WorkOutcome.Canceled)])]),
        "zombie" => new(AbortKind.FetchBeforeResponse, [Stopped("app", zombie: faulty)]),
        "http2-connection-closed" => new(AbortKind.FetchBeforeResponse, [Stopped("app", protocol: "HTTP/2", connectionClosed: false)], OpenConnections: new HashSet<string>(faulty ? [] : ["conn-1"])),
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "No such rule."),
    };

    private static AbortVerdict Judge(Cell cell)
    {
        var request = new AbortRequest(cell.Kind, "/work") { ExpectedHops = cell.ExpectedHops ?? [] };
        var verdict = new AbortVerdict(request, "cell", new Uri("http://127.0.0.1/work"), AbortKinds.Expectation(request.Kind))
        {
            BrowserAbortedAt = BrowserAborted,
            Timelines = cell.Timelines,
        };
        VerdictJudge.Judge(verdict, request, new AbortRigOptions { WorkStopBound = Bound }, TimeSpan.FromSeconds(15), cell.OpenConnections, BrowserAborted.AddMilliseconds(1400));
        return verdict;
    }

    private static WorkRecord Work(string name, int startedMs, int? endedMs, WorkOutcome? outcome = null) => new()
    {
        Name = name,
        StartedAt = BrowserAborted.AddMilliseconds(startedMs),
        EndedAt = endedMs is { } ms ? BrowserAborted.AddMilliseconds(ms) : null,
        Outcome = outcome ?? (endedMs is null ? WorkOutcome.Running : WorkOutcome.Canceled),
    };

    private static LogRecord Log(LogLevel level) => new()
    {
        Level = level,
        Category = "Shop",
        Message = "The order was cancelled.",
        Exception = nameof(TaskCanceledException),
        Timestamp = BrowserAborted.AddMilliseconds(10),
    };

    // A hop that saw the client leave 2 ms after the browser's abort and answered 1 ms later: the behaving request.
    private static RequestTimeline Stopped(
        string hop,
        int? completedMs = 3,
        int? abortedMs = 2,
        int? status = 499,
        AbortReason reason = AbortReason.ClientDisconnected,
        string protocol = "HTTP/1.1",
        bool connectionClosed = true,
        bool zombie = false,
        IReadOnlyList<WorkRecord>? work = null,
        IReadOnlyList<WorkRecord>? detached = null,
        IReadOnlyList<LogRecord>? logs = null) => new()
    {
        Id = hop,
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        Hop = hop,
        Method = "GET",
        Path = "/work",
        Protocol = protocol,
        ConnectionId = "conn-1",
        StartedAt = BrowserAborted.AddMilliseconds(-300),
        CompletedAt = completedMs is { } completed ? BrowserAborted.AddMilliseconds(completed) : null,
        AbortedAt = abortedMs is { } aborted ? BrowserAborted.AddMilliseconds(aborted) : null,
        AbortReason = abortedMs is null ? null : reason,
        StatusCode = status,
        ConnectionClosedAt = connectionClosed && completedMs is { } closed ? BrowserAborted.AddMilliseconds(closed + 1) : null,
        Zombie = zombie,
        Work = work ?? [],
        DetachedWork = detached ?? [],
        Logs = logs ?? [],
    };
}
