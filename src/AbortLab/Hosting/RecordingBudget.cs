namespace AbortLab.Hosting;

/// <summary>
/// How many requests may still be recorded from their start in the current second
/// (<see cref="AbortLabOptions.RecordedRequestsPerSecond"/>). Approximate by design: when several requests open a new
/// second at once, a few more than the limit may be recorded. Once the second's budget is spent, asking only reads.
/// </summary>
internal sealed class RecordingBudget
{
    private readonly long _ticksPerSecond;
    private long _windowStart;
    private int _taken;

    public RecordingBudget(TimeProvider timeProvider)
    {
        _ticksPerSecond = timeProvider.TimestampFrequency;
        _windowStart = long.MinValue;
    }

    /// <summary>Whether a request that started at <paramref name="timestamp"/> is recorded from its start.</summary>
    public bool TryTake(long timestamp, int perSecond)
    {
        var windowStart = Volatile.Read(ref _windowStart);
        if (windowStart == long.MinValue || timestamp - windowStart >= _ticksPerSecond)
        {
            if (Interlocked.CompareExchange(ref _windowStart, timestamp, windowStart) == windowStart)
            {
                Volatile.Write(ref _taken, 0);
            }
        }

        return Volatile.Read(ref _taken) < perSecond && Interlocked.Increment(ref _taken) <= perSecond;
    }
}
