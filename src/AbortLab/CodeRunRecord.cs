namespace AbortLab;

/// <summary>
/// Code that ran for a request on one thread after the request was aborted: a continuation, a timer callback, a
/// thread-pool item, a thread or a response-completion callback that carried the request's execution context.
/// Recorded for requests that carry a tag (the rig's), when <c>SensorOptions.FollowCodeAfterAbort</c> is on.
/// </summary>
public sealed class CodeRunRecord
{
    /// <summary>Gets the thread's name, or <c>thread pool</c> for a thread-pool thread.</summary>
    public required string Thread { get; init; }

    /// <summary>Gets the thread's managed id.</summary>
    public required int ThreadId { get; init; }

    /// <summary>
    /// Gets what started the code, as far as the thread shows it: <c>a timer callback</c>, <c>a new thread</c>,
    /// <c>a task running FaultyShop.Report (lambda)</c>, <c>an async continuation</c>, <c>a response-completion callback</c>.
    /// </summary>
    public required string StartedFrom { get; init; }

    /// <summary>Gets when the code first ran on the thread after the abort (the abort itself for code already running).</summary>
    public required DateTimeOffset FirstRanAt { get; init; }

    /// <summary>Gets when it last left the thread, or <see langword="null"/> while it still runs there.</summary>
    public DateTimeOffset? LastRanAt { get; init; }

    /// <summary>Gets how many times the request's code came back to the thread after the abort.</summary>
    public required int Runs { get; init; }

    /// <summary>Gets a value that tells whether the code was still running on the thread when the record was read.</summary>
    public bool Running { get; init; }
}
