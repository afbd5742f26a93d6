using AbortLab.Telemetry;
using AbortLab.Timelines;

namespace AbortLab.Hosting;

/// <summary>
/// Where every timeline of this host reports: events go to the store's feed, abort latencies to the metrics.
/// </summary>
internal sealed class TimelineSink : ITimelineSink
{
    private readonly TimelineStore _store;
    private readonly AbortLabMetrics _metrics;

    public TimelineSink(TimelineStore store, AbortLabMetrics metrics)
    {
        _store = store;
        _metrics = metrics;
    }

    public void Record(LiveTimeline timeline) => _store.Insert(timeline);

    public void Append(in TimelineEvent timelineEvent) => _store.Append(timelineEvent);

    public void WorkStoppedAfterAbort(AbortReason reason, TimeSpan elapsed) => _metrics.WorkStoppedAfterAbort(reason, elapsed);

    public void ConnectionClosedAfterAbort(AbortReason reason, TimeSpan elapsed) => _metrics.ConnectionClosedAfterAbort(reason, elapsed);
}
