using AbortLab.Timelines;

namespace AbortLab.Testing;

/// <summary>For tests of the store alone: events go to the store, the abort latencies nowhere.</summary>
internal sealed class StoreOnlySink(AbortLab.Timelines.TimelineStore store) : ITimelineSink
{
    public void Record(LiveTimeline timeline) => store.Insert(timeline);

    public void Append(in TimelineEvent timelineEvent) => store.Append(timelineEvent);

    public void WorkStoppedAfterAbort(AbortReason reason, TimeSpan elapsed)
    {
    }

    public void ConnectionClosedAfterAbort(AbortReason reason, TimeSpan elapsed)
    {
    }
}
