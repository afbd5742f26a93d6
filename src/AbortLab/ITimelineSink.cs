namespace AbortLab;

/// <summary>
/// Where a request's timeline reports: each event it records, and the two latencies an abort is judged by.
/// </summary>
internal interface ITimelineSink
{
    /// <summary>Puts the timeline in the store's ring (when its slot holds no newer one).</summary>
    void Record(LiveTimeline timeline);

    /// <summary>Appends an event to the event feed.</summary>
    void Append(in TimelineEvent timelineEvent);

    /// <summary>The last of the request's work stopped <paramref name="elapsed"/> after its abort.</summary>
    void WorkStoppedAfterAbort(AbortReason reason, TimeSpan elapsed);

    /// <summary>The request's connection closed <paramref name="elapsed"/> after its abort.</summary>
    void ConnectionClosedAfterAbort(AbortReason reason, TimeSpan elapsed);
}
