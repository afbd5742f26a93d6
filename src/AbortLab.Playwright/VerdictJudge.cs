using System.Globalization;

namespace AbortLab.Playwright;

/// <summary>
/// Decides, from the server's timelines, whether an abort was seen, its work stopped and its connection went the
/// way the protocol demands.
/// </summary>
internal static class VerdictJudge
{
    public static bool IsHttp2(RequestTimeline timeline) => timeline.Protocol.StartsWith("HTTP/2", StringComparison.Ordinal);

    /// <summary>Orders the timelines as the request travelled: the expected hops in order, any other by start.</summary>
    public static IReadOnlyList<RequestTimeline> Order(IReadOnlyList<RequestTimeline> timelines, IReadOnlyList<string> expectedHops) =>
        [.. timelines
            .OrderBy(t => expectedHops.Count == 0 || !expectedHops.Contains(t.Hop) ? int.MaxValue : IndexOf(expectedHops, t.Hop))
            .ThenBy(t => t.StartedAt)];

    /// <summary>Whether every expected hop has started tracked work: the point where a triggered abort may be fired.</summary>
    public static bool WorkStarted(IReadOnlyList<RequestTimeline> timelines, IReadOnlyList<string> expectedHops) => expectedHops.Count == 0
        ? timelines.Any(t => t.Work.Count > 0)
        : expectedHops.All(hop => timelines.Any(t => t.Hop == hop && t.Work.Count > 0));

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
        return timelines.All(t => t.CompletedAt is not null) && (!connectionMustClose || entry.ConnectionClosedAt is not null);
    }

    public static void Judge(AbortVerdict verdict, AbortRequest request, TimeSpan deadline, IReadOnlySet<string>? openConnections)
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
        if (AbortKinds.EndsGracefully(verdict.Kind))
        {
            // The hops in front only tunnel the goodbye: they must have ended, and the last hop must see the client go.
            foreach (var timeline in timelines.SkipLast(1).Where(t => t.CompletedAt is null))
            {
                verdict.Fail($"hop '{timeline.Hop}' had not ended its request {seconds} s after the browser's close.");
            }

            if (last.AbortReason != AbortReason.ClientDisconnected)
            {
                verdict.Fail($"hop '{last.Hop}' recorded {last.AbortReason?.ToString() ?? "no abort"} within {seconds} s of the browser's close, not ClientDisconnected (status {Describe(last.StatusCode)}).");
            }
        }
        else
        {
            if (entry.AbortReason is null)
            {
                verdict.Fail($"hop '{entry.Hop}' never saw the abort within {seconds} s of the browser's (status {Describe(entry.StatusCode)}).");
            }
            else if (entry.AbortReason != AbortReason.ClientDisconnected)
            {
                verdict.Fail($"hop '{entry.Hop}' recorded the abort as {entry.AbortReason}, not ClientDisconnected.");
            }

            foreach (var timeline in timelines.Skip(1).Where(t => t.AbortReason is null))
            {
                verdict.Fail($"hop '{timeline.Hop}' never saw the abort within {seconds} s: the hop in front of it did not pass it on (status {Describe(timeline.StatusCode)}).");
            }
        }

        if (timelines.All(t => t.Work.Count == 0))
        {
            verdict.Fail("no hop tracked any work, so nothing proves the work stopped: run it through AbortScope.RunAsync or Track.");
        }

        foreach (var timeline in timelines)
        {
            foreach (var work in timeline.Work.Where(w => w.EndedAt is null))
            {
                verdict.Fail($"work '{work.Name}' on hop '{timeline.Hop}' was still running {seconds} s after the abort: it ignores its token.");
            }

            if (timeline.Zombie)
            {
                verdict.Fail($"hop '{timeline.Hop}' flagged the request a zombie: its work outlived the abort by more than the watchdog's grace.");
            }
        }

        if (!IsHttp2(entry) || AbortKinds.ClosesConnections(verdict.Kind))
        {
            if (entry.ConnectionClosedAt is null)
            {
                verdict.Fail($"hop '{entry.Hop}''s {entry.Protocol} connection was still open {seconds} s after the abort.");
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

        if (verdict.BrowserAbortedAt is { } abortedAt)
        {
            verdict.DetectionMs = Since(abortedAt, AbortKinds.EndsGracefully(verdict.Kind) ? last.AbortedAt : entry.AbortedAt);
            verdict.LastHopDetectionMs = Since(abortedAt, last.AbortedAt);
            verdict.WorkStoppedMs = Since(abortedAt, timelines.SelectMany(t => t.Work).Where(w => w.EndedAt is not null).Select(w => w.EndedAt).DefaultIfEmpty(null).Max());
            verdict.ConnectionClosedMs = Since(abortedAt, entry.ConnectionClosedAt);
        }
    }

    private static void JudgeCompleted(AbortVerdict verdict, string seconds)
    {
        if (verdict.Timelines.Count == 0)
        {
            verdict.Fail($"the server recorded nothing tagged '{verdict.Tag}' within {seconds} s.");
            return;
        }

        var entry = verdict.Timelines[0];
        if (entry.AbortReason is { } reason)
        {
            verdict.Fail($"hop '{entry.Hop}' recorded {reason}: a keepalive request must outlive the page that sent it.");
        }
        else if (entry.CompletedAt is null)
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

    private static double? Since(DateTimeOffset start, DateTimeOffset? end) => end is { } value ? (value - start).TotalMilliseconds : null;

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
