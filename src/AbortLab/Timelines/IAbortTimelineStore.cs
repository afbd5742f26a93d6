namespace AbortLab.Timelines;

/// <summary>
/// The bounded in-memory store of request timelines and of the events that built them.
/// </summary>
internal interface IAbortTimelineStore
{
    /// <summary>Gets how many timelines the store keeps; the oldest are dropped beyond it.</summary>
    int Capacity { get; }

    /// <summary>Gets how many timelines the store holds now.</summary>
    int Count { get; }

    /// <summary>Gets the sequence number of the newest event, or 0 before the first.</summary>
    long LastSequence { get; }

    /// <summary>
    /// Finds a timeline by its identifier.
    /// </summary>
    /// <param name="id">The timeline's identifier.</param>
    /// <returns>A snapshot of the timeline, or <see langword="null"/> if the store does not hold it (any more).</returns>
    RequestTimeline? Find(string id);

    /// <summary>
    /// Returns snapshots of the newest timelines that match <paramref name="query"/>, newest first.
    /// </summary>
    /// <param name="query">The filters and the limit.</param>
    /// <returns>The matching timelines.</returns>
    IReadOnlyList<RequestTimeline> GetRecent(TimelineQuery query);

    /// <summary>
    /// Reads the events after <paramref name="afterSequence"/> in order, then waits for new ones until
    /// <paramref name="cancellationToken"/> fires. Events older than the store's event ring are gone: a reader that
    /// falls that far behind continues at the oldest event still held, so its next sequence number jumps.
    /// </summary>
    /// <param name="afterSequence">The last sequence number the reader has seen; 0 to start from the oldest held.</param>
    /// <param name="cancellationToken">Ends the reading.</param>
    /// <returns>The events in sequence order.</returns>
    IAsyncEnumerable<TimelineEvent> ReadEventsAsync(long afterSequence, CancellationToken cancellationToken);
}
