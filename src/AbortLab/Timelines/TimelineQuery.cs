namespace AbortLab.Timelines;

/// <summary>
/// Which timelines <see cref="IAbortTimelineStore.GetRecent(TimelineQuery)"/> returns.
/// </summary>
internal sealed class TimelineQuery
{
    /// <summary>The largest <see cref="Limit"/> accepted.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>Gets the tag to match exactly, or <see langword="null"/> for any.</summary>
    public string? Tag { get; init; }

    /// <summary>Gets the hop to match exactly, or <see langword="null"/> for any.</summary>
    public string? Hop { get; init; }

    /// <summary>Gets the W3C trace id (32 lowercase hex digits) to match exactly, or <see langword="null"/> for any.</summary>
    public string? TraceId { get; init; }

    /// <summary>
    /// Gets the most timelines to return.
    /// </summary>
    /// <value>Defaults to 100; from 1 to <see cref="MaxLimit"/>.</value>
    public int Limit { get; init; } = 100;
}
