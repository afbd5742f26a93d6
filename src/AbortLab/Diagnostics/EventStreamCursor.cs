using System.Globalization;
using AbortLab.Timelines;

namespace AbortLab.Diagnostics;

/// <summary>
/// Where a subscriber of the event stream starts, read from its <c>Last-Event-ID</c>: an id is
/// <c>{store epoch}-{sequence}</c>. An id this store did not give (another process's, one ahead of the sequence,
/// garbage) or one whose events the ring no longer holds starts the subscriber near now with a resync, never silence.
/// </summary>
internal readonly record struct EventStreamCursor(long Next, string? ResyncReason)
{
    public const string UnknownEpoch = "unknown-epoch";
    public const string Ahead = "ahead";
    public const string Invalid = "invalid";
    public const string Missed = "missed";
    public const string FellBehind = "fell-behind";

    public static string IdOf(TimelineStore store, long sequence) => string.Create(CultureInfo.InvariantCulture, $"{store.Epoch}-{sequence}");

    public static EventStreamCursor Read(string? lastEventId, TimelineStore store, int backlog)
    {
        var last = store.LastSequence;
        var near = Math.Max(store.OldestSequence, last - backlog + 1);
        if (string.IsNullOrEmpty(lastEventId))
        {
            return new EventStreamCursor(near, null);
        }

        var dash = lastEventId.LastIndexOf('-');
        if (dash < 0 || !long.TryParse(lastEventId.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return new EventStreamCursor(near, Invalid);
        }

        if (!lastEventId.AsSpan(0, dash).SequenceEqual(store.Epoch))
        {
            return new EventStreamCursor(near, UnknownEpoch);
        }

        if (sequence > last)
        {
            return new EventStreamCursor(near, Ahead);
        }

        return sequence + 1 < store.OldestSequence ? new EventStreamCursor(near, Missed) : new EventStreamCursor(sequence + 1, null);
    }
}
