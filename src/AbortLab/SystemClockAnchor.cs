namespace AbortLab;

/// <summary>
/// Turns <see cref="TimeProvider.System"/>'s monotonic timestamps into UTC from a wall-clock reading taken at most a
/// second before, so that a request's start costs one clock read instead of two.
/// </summary>
/// <remarks>
/// Within that second a timeline's start follows the monotonic clock, as every later time of the timeline already
/// does; a wall-clock step (not a slew) shows in start times from the next reading on.
/// </remarks>
internal static class SystemClockAnchor
{
    private static readonly long RefreshAfter = TimeProvider.System.TimestampFrequency;

    private static Anchor? _anchor;

    public static DateTime UtcAt(long timestamp)
    {
        var anchor = Volatile.Read(ref _anchor);
        if (anchor is null || Math.Abs(timestamp - anchor.Timestamp) > RefreshAfter)
        {
            anchor = new Anchor(TimeProvider.System.GetUtcNow().UtcDateTime, TimeProvider.System.GetTimestamp());
            Volatile.Write(ref _anchor, anchor);
        }

        return anchor.Utc.AddTicks((timestamp - anchor.Timestamp) * TimeSpan.TicksPerSecond / TimeProvider.System.TimestampFrequency);
    }

    private sealed record Anchor(DateTime Utc, long Timestamp);
}
