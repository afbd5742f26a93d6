namespace AbortLab;

/// <summary>
/// A snapshot of one request's timeline: when it started, when and why it was aborted, when each piece of its work
/// stopped, and when its connection closed. Times are UTC; durations are in milliseconds from a monotonic clock.
/// </summary>
public sealed class RequestTimeline
{
    /// <summary>Gets the identifier of the timeline in its store.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the W3C trace id of the request (32 lowercase hex digits).</summary>
    public required string TraceId { get; init; }

    /// <summary>Gets the name of the hop (server) that recorded the request.</summary>
    public required string Hop { get; init; }

    /// <summary>Gets the tag the client gave with the <c>AbortLab-Tag</c> header or <c>abortlab-tag</c> query parameter.</summary>
    public string? Tag { get; init; }

    /// <summary>Gets the request method.</summary>
    public required string Method { get; init; }

    /// <summary>Gets the request path; the query string's values are redacted unless configured otherwise.</summary>
    public required string Path { get; init; }

    /// <summary>Gets the request protocol, such as <c>HTTP/1.1</c> or <c>HTTP/2</c>.</summary>
    public required string Protocol { get; init; }

    /// <summary>Gets the server's identifier of the connection the request came on.</summary>
    public string? ConnectionId { get; init; }

    /// <summary>Gets the time the request reached AbortLab.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets the time the abort was detected, if the request was aborted.</summary>
    public DateTimeOffset? AbortedAt { get; init; }

    /// <summary>Gets why the request was aborted, if it was.</summary>
    public AbortReason? AbortReason { get; init; }

    /// <summary>Gets the time the request's pipeline returned.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>
    /// Gets the status code recorded for the request: 499 (by default) when the client went away, the response's
    /// status code otherwise.
    /// </summary>
    public int? StatusCode { get; init; }

    /// <summary>Gets the time the request's connection closed, once it has.</summary>
    public DateTimeOffset? ConnectionClosedAt { get; init; }

    /// <summary>Gets the units of work the request tracked, in the order they started.</summary>
    public required IReadOnlyList<WorkRecord> Work { get; init; }

    /// <summary>
    /// Gets the work the request queued with <see cref="Background.BackgroundWorkLifetime.Detached"/>: it may outlive the
    /// request by design, so it counts neither as the request's work nor towards a zombie.
    /// </summary>
    public IReadOnlyList<WorkRecord> DetachedWork { get; init; } = [];

    /// <summary>Gets the log entries of <c>Warning</c> and above written for the request, the first 32 of them.</summary>
    public IReadOnlyList<LogRecord> Logs { get; init; } = [];

    /// <summary>
    /// Gets the outgoing operations (HTTP calls, database commands) the request's code started after its abort, the
    /// first 32 of them.
    /// </summary>
    public IReadOnlyList<OperationRecord> OperationsAfterAbort { get; init; } = [];

    /// <summary>
    /// Gets the code that ran for the request after its abort, one record per thread, the first 32 of them: what carried
    /// the request's execution context onto a thread (a continuation, a timer, a thread, a completion callback).
    /// Recorded only for a request that carries a tag, when <c>SensorOptions.FollowCodeAfterAbort</c> is on.
    /// </summary>
    public IReadOnlyList<CodeRunRecord> CodeAfterAbort { get; init; } = [];

    /// <summary>
    /// Gets the milliseconds from the abort to the moment the last of the request's work stopped (its pipeline and
    /// every tracked unit of work), or <see langword="null"/> if it was not aborted or work still runs.
    /// </summary>
    public double? AbortToWorkStoppedMs { get; init; }

    /// <summary>
    /// Gets a value that tells whether work of the request was still running
    /// <see cref="Zombies.ZombieOptions.Threshold"/> after its abort.
    /// </summary>
    public bool Zombie { get; init; }

    /// <summary>
    /// Gets a value that tells whether any code asked for the request's token (<c>HttpContext.RequestAborted</c>,
    /// <see cref="AbortScope.Token"/>): work that ran on after the abort was either never handed it, or handed it and
    /// did not stop with it.
    /// </summary>
    public bool TokenHandedOut { get; init; }

    /// <summary>
    /// Gets the milliseconds from the abort to the close of the request's connection, or <see langword="null"/> if it
    /// was not aborted or the connection is still open (as it stays on HTTP/2).
    /// </summary>
    public double? AbortToConnectionClosedMs { get; init; }
}
