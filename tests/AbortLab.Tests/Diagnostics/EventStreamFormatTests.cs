using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AbortLab.Diagnostics;
using AbortLab.Testing;
using AbortLab.Timelines;

namespace AbortLab.Tests.Diagnostics;

public sealed class EventStreamFormatTests
{
    [Fact]
    public void Write_GivesTheSameEventAsTheSerializer_ForEveryKindOfEvent()
    {
        var store = new TimelineStore(16, 64);
        var sink = new StoreOnlySink(store);
        var live = store.Add(sink, TimeProvider.System, new RequestDescription(null, "unit \"hop\" <é>", "tag", "GET", "/orders?x=1", "HTTP/1.1", "conn-1"));
        var work = live.StartWork("db \"orders\"");
        live.MarkAborted(AbortReason.ClientDisconnected);
        live.EndWork(work, WorkOutcome.Canceled);
        live.MarkCompleted(499);
        store.Append(new TimelineEvent(0, TimelineEventKind.ShutdownReported, TimeProvider.System.GetUtcNow(), 0, "unit"));

        var events = new TimelineEvent[64];
        var count = store.CopyEvents(1, events, out _);
        Assert.True(count >= 6);
        var epoch = Encoding.UTF8.GetBytes(store.Epoch);
        foreach (var timelineEvent in events.AsSpan(0, count))
        {
            var timeline = store.Find(timelineEvent.RequestNumber);
            var output = new ArrayBufferWriter<byte>();
            using (var json = new Utf8JsonWriter(output))
            {
                EventStreamFormat.Write(output, json, epoch, timelineEvent, timeline);
            }

            Assert.Equal(Expected(store, timelineEvent, timeline), Encoding.UTF8.GetString(output.WrittenSpan));
        }
    }

    // What the stream wrote before it formatted events itself: an object serialized with the diagnostics options.
    private static string Expected(TimelineStore store, TimelineEvent timelineEvent, RequestTimeline? timeline)
    {
        var data = JsonSerializer.Serialize(
            new
            {
                sequence = timelineEvent.Sequence,
                kind = timelineEvent.Kind,
                timestamp = timelineEvent.Timestamp,
                requestId = timelineEvent.RequestId,
                hop = timelineEvent.Hop,
                reason = timelineEvent.Reason,
                workName = timelineEvent.WorkName,
                workOutcome = timelineEvent.WorkOutcome,
                statusCode = timelineEvent.StatusCode,
                timeline,
            },
            DiagnosticsJson.Options);
        var name = JsonNamingPolicy.CamelCase.ConvertName(timelineEvent.Kind.ToString());
        return string.Create(CultureInfo.InvariantCulture, $"id: {store.Epoch}-{timelineEvent.Sequence}\nevent: {name}\ndata: {data}\n\n");
    }
}
