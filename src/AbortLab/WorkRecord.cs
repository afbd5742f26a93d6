namespace AbortLab;

/// <summary>
/// A snapshot of one unit of work on a <see cref="RequestTimeline"/>.
/// </summary>
public sealed class WorkRecord
{
    /// <summary>Gets the name the work was started with.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the time the work started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets the time the work ended, or <see langword="null"/> while it runs.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Gets how the work ended.</summary>
    public required WorkOutcome Outcome { get; init; }

    /// <summary>
    /// Gets what ended the work when it did not complete: an exception's type, or an integration's error name such
    /// as YARP's <c>ForwarderError</c>.
    /// </summary>
    public string? Error { get; init; }
}
