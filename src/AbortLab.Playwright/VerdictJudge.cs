using System.Globalization;
using Microsoft.Extensions.Logging;

namespace AbortLab.Playwright;

/// <summary>
/// Decides, from the server's timelines, whether an abort was seen, its work stopped and its connection went the
/// way the protocol demands, and whether the request left errors or side effects behind.
/// </summary>
internal static class VerdictJudge
{
    /// <summary>
    /// How long after the browser's abort a response may still have been on its way: a hop that answered by then ended
    /// before the abort reached it, which is not ignoring it.
    /// </summary>
    private static readonly TimeSpan InFlight = TimeSpan.FromMilliseconds(20);

    /// <summary>How long past the stop bound the rig reads the records of code that came back after its hop stopped.</summary>
    private static readonly TimeSpan LateBeat = TimeSpan.FromMilliseconds(250);

    public static bool IsHttp2(RequestTimeline timeline) => timeline.Protocol.StartsWith("HTTP/2", StringComparison.Ordinal);

    /// <summary>Orders the timelines as the request travelled: the expected hops in order, any other by start.</summary>
    public static IReadOnlyList<RequestTimeline> Order(IReadOnlyList<RequestTimeline> timelines, IReadOnlyList<string> expectedHops) =>
        [.. timelines
            .OrderBy(t => expectedHops.Count == 0 || !expectedHops.Contains(t.Hop) ? int.MaxValue : IndexOf(expectedHops, t.Hop))
            .ThenBy(t => t.StartedAt)];

    /// <summary>Whether every expected hop has started tracked work: the point where a triggered abort may be fired.</summary>
    public static bool TrackedWorkStarted(IReadOnlyList<RequestTimeline> timelines, IReadOnlyList<string> expectedHops) => expectedHops.Count == 0
        ? timelines.Any(t => t.Work.Count > 0)
        : expectedHops.All(hop => timelines.Any(t => t.Hop == hop && t.Work.Count > 0));

    /// <summary>Whether every expected hop (or, with none named, some hop) has the request's pipeline running.</summary>
    public static bool PipelinesStarted(IReadOnlyList<RequestTimeline> timelines, IReadOnlyList<string> expectedHops) => expectedHops.Count == 0
        ? timelines.Count > 0
        : expectedHops.All(hop => timelines.Any(t => t.Hop == hop));

    /// <summary>The hop whose abort the others follow: the first, or for a WebSocket close the one that ran it.</summary>
    public static RequestTimeline Detecting(AbortKind kind, IReadOnlyList<RequestTimeline> timelines) =>
        AbortKinds.EndsGracefully(kind) ? timelines[^1] : timelines[0];

    /// <summary>Whether the records are final enough to judge: waiting longer cannot change the verdict for the better.</summary>
    public static bool IsSettled(AbortKind kind, IReadOnlyList<RequestTimeline> timelines, IReadOnlyList<string> expectedHops)
    {
        if (timelines.Count == 0 || expectedHops.Any(hop => !timelines.Any(t => t.Hop == hop)))
        {
            return false;
        }

        if (AbortKinds.Expectation(kind) == AbortExpectation.Completed)
        {
            return timelines[0].CompletedAt is not null;
        }

        var entry = timelines[0];
        var connectionMustClose = !IsHttp2(entry) || AbortKinds.ClosesConnections(kind);
        return timelines.All(t => t.CompletedAt is not null && t.Work.All(w => w.EndedAt is not null) && t.CodeAfterAbort.All(r => !r.Running))
            && (!connectionMustClose || entry.ConnectionClosedAt is not null);
    }

    /// <summary>
    /// Whether the records already make the verdict a failure that waiting cannot mend: the first hop answered
    /// without seeing the abort, or work still runs past the stop bound.
    /// </summary>
    public static bool IsDecided(AbortKind kind, IReadOnlyList<RequestTimeline> timelines, TimeSpan stopBound, DateTimeOffset now)
    {
        if (timelines.Count == 0 || AbortKinds.Expectation(kind) != AbortExpectation.Aborted)
        {
            return false;
        }

        var detecting = Detecting(kind, timelines);
        if (detecting.CompletedAt is not null && detecting.AbortReason is null)
        {
            return true;
        }

        return detecting.AbortedAt is { } abortedAt && now - abortedAt > stopBound
            && timelines.Any(t => (RunningAt(t, abortedAt) && StoppedAt(t) is null) || t.CodeAfterAbort.Any(r => r.Running));
    }

    public static void Judge(AbortVerdict verdict, AbortRequest request, AbortRigOptions options, TimeSpan deadline, IReadOnlySet<string>? openConnections, DateTimeOffset judgedAt)
    {
        var timelines = verdict.Timelines;
        var seconds = deadline.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        switch (verdict.Expectation)
        {
            case AbortExpectation.NeverReached:
                foreach (var timeline in timelines)
                {
                    verdict.Fail($"hop '{timeline.Hop}' recorded the request ({timeline.Method} {timeline.Path}) though the browser failed it before sending: the route did not abort it.");
                }

                return;

            case AbortExpectation.Completed:
                JudgeCompleted(verdict, seconds);
                return;
        }

        if (timelines.Count == 0)
        {
            verdict.Fail($"the server recorded nothing tagged '{verdict.Tag}' within {seconds} s: the request never reached an app that uses AbortLab (is app.UseAbortLab() in its pipeline?).");
            return;
        }

        foreach (var hop in request.ExpectedHops.Where(hop => !timelines.Any(t => t.Hop == hop)))
        {
            verdict.Fail($"hop '{hop}' recorded nothing tagged '{verdict.Tag}': the hop in front of it never called it, or did not pass the tag on.");
        }

        var entry = timelines[0];
        var last = timelines[^1];
        var detecting = Detecting(verdict.Kind, timelines);

        // How long the rig really watched: a verdict decided early never waited for the whole deadline.
        var waited = verdict.BrowserAbortedAt is { } abortSent ? Milliseconds(judgedAt - abortSent) : $"{seconds} s";
        if (AbortKinds.EndsGracefully(verdict.Kind))
        {
            // The hops in front only tunnel the goodbye: they must have ended, and the last hop must see the client go.
            foreach (var timeline in timelines.SkipLast(1).Where(t => t.CompletedAt is null))
            {
                verdict.Fail($"hop '{timeline.Hop}' had not ended its request {waited} after the browser's close.");
            }

            if (last.AbortReason != AbortReason.ClientDisconnected)
            {
                verdict.Fail($"hop '{last.Hop}' recorded {last.AbortReason?.ToString() ?? "no abort"} within {waited} of the browser's close, not ClientDisconnected (status {Describe(last.StatusCode)}).");
            }
        }
        else if (entry.AbortReason is null)
        {
            verdict.Fail(entry.CompletedAt is not { } completedAt
                ? $"hop '{entry.Hop}' never saw the abort within {waited} of the browser's (status {Describe(entry.StatusCode)})."
                : verdict.BrowserAbortedAt is { } abortSeen && completedAt <= abortSeen + InFlight
                    ? $"hop '{entry.Hop}' answered {Describe(entry.StatusCode)} {Milliseconds((completedAt - abortSeen).Duration())} {(completedAt <= abortSeen ? "before" : "after")} the browser's abort, before the abort could reach it: "
                        + "the request ended too soon for this cell to prove anything. Make the endpoint slower than the abort (or the abort sooner)."
                    : $"hop '{entry.Hop}' never saw the abort: it answered {Describe(entry.StatusCode)} as if the client were still there.");
        }
        else if (entry.AbortReason != AbortReason.ClientDisconnected)
        {
            verdict.Fail($"hop '{entry.Hop}' recorded the abort as {entry.AbortReason}, not ClientDisconnected.");
        }

        if (detecting.AbortedAt is { } abortedAt)
        {
            JudgeHops(verdict, timelines, detecting, abortedAt, options.WorkStopBound, judgedAt);
            JudgeSideEffects(verdict, timelines, abortedAt, options, judgedAt);
        }

        foreach (var timeline in timelines.Where(t => t.Zombie))
        {
            verdict.Fail($"hop '{timeline.Hop}' flagged the request a zombie: its work outlived the abort by more than the watchdog's grace.");
        }

        if (!IsHttp2(entry) || AbortKinds.ClosesConnections(verdict.Kind))
        {
            if (entry.ConnectionClosedAt is null)
            {
                verdict.Fail($"hop '{entry.Hop}''s {entry.Protocol} connection was still open {waited} after the abort.");
            }
        }
        else if (entry.ConnectionId is not null && openConnections is not null)
        {
            verdict.ConnectionKept = openConnections.Contains(entry.ConnectionId);
            if (verdict.ConnectionKept == false)
            {
                verdict.Fail($"hop '{entry.Hop}' closed the HTTP/2 connection: an aborted stream should be reset on its own, leaving the connection to its siblings.");
            }
        }

        if (verdict.BrowserAbortedAt is { } browserAbortedAt)
        {
            verdict.DetectionMs = Since(browserAbortedAt, detecting.AbortedAt);
            verdict.LastHopDetectionMs = Since(browserAbortedAt, last.AbortedAt);
            verdict.WorkStoppedMs = Since(browserAbortedAt, timelines.Select(StoppedAt).Where(s => s is not null).DefaultIfEmpty(null).Max());
            verdict.ConnectionClosedMs = Since(browserAbortedAt, entry.ConnectionClosedAt);
        }
    }

    /// <summary>
    /// Every hop that still ran when the client left, whether the rig was told of it or found it through the trace,
    /// must see the abort and stop within the bound. A hop that had answered before the abort is not concerned.
    /// </summary>
    private static void JudgeHops(AbortVerdict verdict, IReadOnlyList<RequestTimeline> timelines, RequestTimeline detecting, DateTimeOffset abortedAt, TimeSpan stopBound, DateTimeOffset judgedAt)
    {
        var bound = Milliseconds(stopBound);
        foreach (var timeline in timelines.Where(t => RunningAt(t, abortedAt)))
        {
            var stopped = StoppedAt(timeline);
            var lateBy = stopped is { } at ? at - abortedAt : judgedAt - abortedAt;
            var stoppedInTime = stopped is not null && lateBy <= stopBound;
            if (!ReferenceEquals(timeline, detecting) && timeline.AbortReason is null && !stoppedInTime)
            {
                verdict.Fail($"hop '{timeline.Hop}' never saw the abort: the hop in front of it did not pass it on (status {Describe(timeline.StatusCode)}, {(stopped is null ? "still running" : $"ended {Milliseconds(lateBy)} after the abort")}).");
                continue;
            }

            if (stoppedInTime)
            {
                continue;
            }

            var running = timeline.Work.Where(w => w.EndedAt is null || w.EndedAt > abortedAt + stopBound).ToList();
            foreach (var work in running)
            {
                verdict.Fail(work.EndedAt is null
                    ? $"work '{work.Name}' on hop '{timeline.Hop}' was still running {Milliseconds(judgedAt - abortedAt)} after the abort (bound {bound}): {TokenUse(timeline, "it")}."
                    : $"work '{work.Name}' on hop '{timeline.Hop}' stopped {Milliseconds(work.EndedAt.Value - abortedAt)} after the abort, later than the bound of {bound}.");
            }

            if (timeline.CompletedAt is null)
            {
                verdict.Fail($"hop '{timeline.Hop}''s pipeline ({timeline.Method} {timeline.Path}) was still running {Milliseconds(judgedAt - abortedAt)} after the abort (bound {bound}): {TokenUse(timeline, "the endpoint")}.");
            }
            else if (running.Count == 0)
            {
                verdict.Fail($"hop '{timeline.Hop}' answered {Milliseconds(timeline.CompletedAt.Value - abortedAt)} after the abort, later than the bound of {bound}: something in its pipeline ignored the token for a while.");
            }
        }
    }

    private static void JudgeSideEffects(AbortVerdict verdict, IReadOnlyList<RequestTimeline> timelines, DateTimeOffset abortedAt, AbortRigOptions options, DateTimeOffset judgedAt)
    {
        foreach (var timeline in timelines)
        {
            var hopAbortedAt = timeline.AbortedAt ?? abortedAt;
            foreach (var log in timeline.Logs.Where(l => l.Level >= LogLevel.Error && l.Timestamp >= abortedAt && verdict.FirstReport($"log {timeline.Hop} {l.Timestamp.UtcTicks}")))
            {
                verdict.Fail($"the abort was logged as an error: hop '{timeline.Hop}' logged {log.Level} from '{log.Category}'{(log.EventName is null ? string.Empty : $" ({log.EventName})")}"
                    + $"{(log.Exception is null ? string.Empty : $" with {log.Exception}")}: \"{Shorten(log.Message)}\". A client that leaves is normal: log it at Debug, or let AbortLab answer it.");
            }

            // One failure per kind of write and the code that made it: a loop that writes a beat makes many of them.
            foreach (var group in timeline.OperationsAfterAbort.GroupBy(o => (o.Name, o.Source, o.StartedFrom)).Where(g => verdict.FirstReport($"operation {timeline.Hop} {g.Key}")))
            {
                var first = group.First();
                var count = group.Count();
                verdict.Fail($"hop '{timeline.Hop}' wrote after its client left: {first.Name} ({first.Source}) started {Milliseconds(first.StartedAt - hopAbortedAt)} after the abort"
                    + $"{(first.StartedFrom is null ? string.Empty : $" by {first.StartedFrom}")}{(count == 1 ? string.Empty : $", {count} times until {Milliseconds(group.Last().StartedAt - hopAbortedAt)}")}. "
                    + "Something caught the abort and carried on, or started work that does not observe the request's token.");
            }

            // Work that began after the abort and was cancelled at once honoured it; work that ran on did not.
            foreach (var work in timeline.Work.Where(w => w.StartedAt > hopAbortedAt && w.Outcome != WorkOutcome.Canceled && verdict.FirstReport($"work {timeline.Hop} {w.Name} {w.StartedAt.UtcTicks}")))
            {
                verdict.Fail($"hop '{timeline.Hop}' started work '{work.Name}' {Milliseconds(work.StartedAt - hopAbortedAt)} after its client left, and it {(work.EndedAt is null ? "still runs" : $"ended {work.Outcome}")}. Something caught the abort and carried on.");
            }

            JudgeCodeRuns(verdict, timeline, hopAbortedAt, options.WorkStopBound, judgedAt);

            foreach (var work in timeline.DetachedWork.Where(w => verdict.FirstReport($"detached {timeline.Hop} {w.Name} {w.StartedAt.UtcTicks}")))
            {
                if (work.EndedAt is null && options.FailOnDetachedWork)
                {
                    verdict.Fail($"detached work '{work.Name}' queued by the aborted request on hop '{timeline.Hop}' is still running. If the request waited for it, queue it with BackgroundWorkLifetime.Request so the abort stops it; "
                        + $"if it is meant to outlive the request, set {nameof(AbortRigOptions)}.{nameof(AbortRigOptions.FailOnDetachedWork)} = false.");
                }
                else
                {
                    verdict.Note($"hop '{timeline.Hop}' queued detached work '{work.Name}': {(work.EndedAt is null ? "still running" : work.Outcome.ToString())}.");
                }
            }
        }
    }

    /// <summary>
    /// Code that carried the request's context (a thread, a timer, a task, an <c>async void</c>, a completion
    /// callback) and ran on past the bound: the request's work, though nothing tracked it.
    /// </summary>
    private static void JudgeCodeRuns(AbortVerdict verdict, RequestTimeline timeline, DateTimeOffset abortedAt, TimeSpan stopBound, DateTimeOffset judgedAt)
    {
        var runs = timeline.CodeAfterAbort
            .Select(run => (Run: run, LateBy: run.Running ? judgedAt - abortedAt : (run.LastRanAt ?? run.FirstRanAt) - abortedAt))
            .ToList();
        if (!runs.Exists(r => r.LateBy > stopBound) || !verdict.FirstReport($"code {timeline.Hop}"))
        {
            return;
        }

        // Every run since the hop stopped is named, not only the late ones: the first run of a timer shows where it
        // began, the later ones may only show a continuation. Thread-pool threads are interchangeable: runs are told
        // apart by what started them, a named thread by its name.
        var stopped = StoppedAt(timeline) ?? abortedAt;
        var late = runs
            .Where(r => r.LateBy > stopBound || (!Vague(r.Run.StartedFrom) && (r.Run.Running || (r.Run.LastRanAt ?? r.Run.FirstRanAt) > stopped)))
            .GroupBy(r => (r.Run.StartedFrom, r.Run.Thread))
            .Select(g => (
                Run: new CodeRunRecord
                {
                    StartedFrom = g.Key.StartedFrom,
                    Thread = g.Key.Thread,
                    ThreadId = g.First().Run.ThreadId,
                    FirstRanAt = g.Min(r => r.Run.FirstRanAt),
                    Runs = g.Sum(r => r.Run.Runs),
                    Running = g.Any(r => r.Run.Running),
                },
                LateBy: g.Max(r => r.LateBy)))
            .OrderBy(r => r.LateBy <= stopBound).ThenBy(r => Vague(r.Run.StartedFrom)).ThenByDescending(r => r.Run.Running).ThenByDescending(r => r.Run.Runs)
            .ToList();
        const int Named = 4;
        var what = string.Join("; ", late.Take(Named).Select(r =>
            $"{r.Run.StartedFrom} on {(r.Run.Thread == "thread pool" ? "the thread pool" : $"thread '{r.Run.Thread}'")} "
            + (r.Run.Running
                ? $"(still running, since {Milliseconds(r.Run.FirstRanAt - abortedAt)} after the abort)"
                : $"({r.Run.Runs} run{(r.Run.Runs == 1 ? string.Empty : "s")} after the abort, the last until {Milliseconds(r.LateBy)})")));
        verdict.Fail($"code of the request on hop '{timeline.Hop}' still ran {Milliseconds(late.Max(r => r.LateBy))} after the abort (bound {Milliseconds(stopBound)}): {what}"
            + $"{(late.Count > Named ? $"; and {late.Count - Named} more" : string.Empty)}. It carries the request's context but does not stop with its token: pass it AbortScope.Token "
            + "(or HttpContext.RequestAborted) and check it, or run it through AbortScope.RunAsync.");
    }

    // What the code did with the request's token, as far as the server saw: asked for it, or never.
    private static string TokenUse(RequestTimeline timeline, string who) => timeline.TokenHandedOut
        ? $"{who} was handed the request's token but did not stop when it fired"
        : $"nothing asked for the request's token, so {who} was never told (pass it HttpContext.RequestAborted)";

    // What started the code says more than the continuations that followed it: those are named last.
    private static bool Vague(string startedFrom) => startedFrom is "an async continuation" or "thread-pool work" or "unknown";

    /// <summary>
    /// How long until the stop bound (and a beat more) has passed, when some hop's code ran after the hop had stopped:
    /// null when it has passed, or when no code came back.
    /// </summary>
    public static TimeSpan? BoundStillAhead(AbortKind kind, IReadOnlyList<RequestTimeline> timelines, TimeSpan stopBound, DateTimeOffset now)
    {
        if (AbortKinds.Expectation(kind) != AbortExpectation.Aborted || timelines.Count == 0 || Detecting(kind, timelines).AbortedAt is not { } abortedAt)
        {
            return null;
        }

        var cameBack = timelines.Any(t => StoppedAt(t) is { } stopped && t.CodeAfterAbort.Any(r => r.Running || r.LastRanAt > stopped));
        var ahead = abortedAt + stopBound + LateBeat - now;
        return cameBack && ahead > TimeSpan.Zero ? ahead : null;
    }

    /// <summary>
    /// What the records show once the rig's watch ended: writes, error logs and code of the request that came after
    /// the verdict was first judged. Only what was not reported yet is added.
    /// </summary>
    public static void JudgeLateEffects(AbortVerdict verdict, IReadOnlyList<RequestTimeline> timelines, AbortRigOptions options, DateTimeOffset judgedAt)
    {
        if (verdict.Expectation != AbortExpectation.Aborted || timelines.Count == 0 || Detecting(verdict.Kind, timelines).AbortedAt is not { } abortedAt)
        {
            return;
        }

        JudgeSideEffects(verdict, timelines, abortedAt, options, judgedAt);
    }

    private static void JudgeCompleted(AbortVerdict verdict, string seconds)
    {
        if (verdict.Timelines.Count == 0)
        {
            verdict.Fail($"the server recorded nothing tagged '{verdict.Tag}' within {seconds} s.");
            return;
        }

        var timelines = verdict.Timelines;
        var entry = timelines[0];
        for (var i = 0; i < timelines.Count; i++)
        {
            if (timelines[i] is not { AbortReason: { } reason, AbortedAt: { } abortedAt } timeline)
            {
                continue;
            }

            // Keepalive covers the request, not its response: Chromium drops a response that starts after the page
            // left, so a hop in front may see that once the hop behind it has answered in full.
            var answeredBehind = timelines.Skip(i + 1).FirstOrDefault(t => t.AbortReason is null && t.CompletedAt <= abortedAt);
            if (answeredBehind is not null)
            {
                verdict.Note($"hop '{timeline.Hop}' recorded {reason} after hop '{answeredBehind.Hop}' had answered: the browser dropped a response that started after the page left.");
            }
            else
            {
                verdict.Fail($"hop '{timeline.Hop}' recorded {reason}: a keepalive request must outlive the page that sent it.");
            }
        }

        if (entry.CompletedAt is null)
        {
            verdict.Fail($"hop '{entry.Hop}' did not complete the request within {seconds} s of the navigation.");
        }
        else if (verdict.BrowserAbortedAt is { } navigatedAt && entry.CompletedAt < navigatedAt)
        {
            verdict.Fail($"hop '{entry.Hop}' completed the request before the page navigated away, so the control proves nothing: make the request slower.");
        }

        if (verdict.BrowserAbortedAt is { } at)
        {
            verdict.WorkStoppedMs = Since(at, entry.CompletedAt);
        }
    }

    /// <summary>When the hop's last work stopped: its pipeline returned and every tracked work ended; null while any runs.</summary>
    internal static DateTimeOffset? StoppedAt(RequestTimeline timeline)
    {
        if (timeline.CompletedAt is not { } completed || timeline.Work.Any(w => w.EndedAt is null))
        {
            return null;
        }

        return timeline.Work.Select(w => w.EndedAt!.Value).Append(completed).Max();
    }

    private static bool RunningAt(RequestTimeline timeline, DateTimeOffset at) =>
        timeline.StartedAt <= at && (StoppedAt(timeline) is not { } stopped || stopped >= at || timeline.AbortReason is not null);

    private static double? Since(DateTimeOffset start, DateTimeOffset? end) => end is { } value ? (value - start).TotalMilliseconds : null;

    private static string Milliseconds(TimeSpan span) => span.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";

    private static string Shorten(string message) => message.Length <= 160 ? message : message[..160] + "…";

    private static string Describe(int? status) => status?.ToString(CultureInfo.InvariantCulture) ?? "none yet";

    private static int IndexOf(IReadOnlyList<string> hops, string hop)
    {
        for (var i = 0; i < hops.Count; i++)
        {
            if (hops[i] == hop)
            {
                return i;
            }
        }

        return -1;
    }
}
