using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using AbortLab.Telemetry;
using AbortLab.Timelines;
using AbortLab.IO;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AbortLab.Diagnostics;

/// <summary>
/// Server-Sent Events of timeline events, each <c>id:</c> being <c>{epoch}-{sequence}</c>. It can never hurt the host
/// it watches: a limited number of subscribers; each written to only as fast as its connection takes the bytes (at
/// most <see cref="DiagnosticsOptions.StreamMaxBufferedBytes"/> ahead), replay included, so nothing is materialised;
/// a subscriber that falls <see cref="DiagnosticsOptions.StreamMaxLagEvents"/> behind is sent <c>event: resync</c>
/// and cut. A subscriber with no <c>Last-Event-ID</c> starts <see cref="DiagnosticsOptions.StreamBacklog"/> events
/// back; one with an id this store did not give, or whose events are gone, is sent <c>resync</c> and starts there too.
/// </summary>
internal sealed class DiagnosticsEventStream(
    TimelineStore store,
    Func<DiagnosticsOptions> options,
    HopName hop,
    AbortLabMetrics metrics,
    ILogger<DiagnosticsEventStream> logger,
    TimeProvider timeProvider,
    IHostApplicationLifetime? lifetime = null)
{
    private const int BatchSize = 256;
    private static readonly TimeSpan CutGrace = TimeSpan.FromSeconds(1);

    private int _subscribers;
    private long _cut;
    private long _refused;

    public int Subscribers => Volatile.Read(ref _subscribers);

    /// <summary>How many subscribers were cut for falling behind (the benchmark reads it).</summary>
    public long SubscribersCut => Interlocked.Read(ref _cut);

    /// <summary>How many subscribers were refused at the limit.</summary>
    public long SubscribersRefused => Interlocked.Read(ref _refused);

    public async Task StreamAsync(HttpContext context)
    {
        var settings = options();
        if (Interlocked.Increment(ref _subscribers) > settings.MaxStreamSubscribers)
        {
            Interlocked.Decrement(ref _subscribers);
            Interlocked.Increment(ref _refused);
            metrics.StreamSubscriberRefused();
            DiagnosticsLog.StreamSubscriberRefused(logger, HopName, settings.MaxStreamSubscribers);
            context.Response.Headers.RetryAfter = "5";
            await Results.Problem(
                title: "Too many stream subscribers",
                detail: "The event stream has as many subscribers as it allows. Retry later.",
                statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
            return;
        }

        try
        {
            await FollowAsync(context, settings);
        }
        finally
        {
            Interlocked.Decrement(ref _subscribers);
        }
    }

    private string HopName => hop.Value;

    private async Task FollowAsync(HttpContext context, DiagnosticsOptions settings)
    {
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        if (string.IsNullOrEmpty(lastEventId))
        {
            lastEventId = context.Request.Query["lastEventId"].ToString();
        }

        var cursor = EventStreamCursor.Read(lastEventId, store, settings.StreamBacklog);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime?.ApplicationStopping ?? default);
        var response = context.Response;
        EventStreamHeaders.Apply(context);

        var writer = response.BodyWriter;
        var flushAt = settings.StreamMaxBufferedBytes / 2;
        try
        {
            writer.Write("retry: 1000\n\n"u8);
            if (cursor.ResyncReason is { } reason)
            {
                WriteResync(writer, reason, cursor.Next - 1);
            }

            await writer.FlushAsync(stop.Token);
            await using var json = new Utf8JsonWriter(writer);
            var batch = new TimelineEvent[BatchSize];
            var epoch = Encoding.UTF8.GetBytes(store.Epoch);
            var next = cursor.Next;
            while (true)
            {
                var arrived = store.NextEventAsync();
                var count = store.CopyEvents(next, batch, out var first);
                if (first > next || store.LastSequence - next >= settings.StreamMaxLagEvents)
                {
                    await CutAsync(context, writer, store.LastSequence - next + 1, settings, stop.Token);
                    return;
                }

                if (count == 0)
                {
                    // One flush per burst, not per event: a followed stream must not cost a busy server a syscall per event.
                    if (writer.UnflushedBytes > 0 && !await FlushWithinLagAsync(writer, next, settings, stop.Token))
                    {
                        await CutAsync(context, writer, store.LastSequence - next + 1, settings, stop.Token);
                        return;
                    }

                    await arrived.WaitAsync(stop.Token);
                    continue;
                }

                for (var i = 0; i < count; i++)
                {
                    EventStreamFormat.Write(writer, json, epoch, batch[i], store.Find(batch[i].RequestNumber));
                    next = batch[i].Sequence + 1;
                    if (writer.UnflushedBytes >= flushAt && !await FlushWithinLagAsync(writer, next, settings, stop.Token))
                    {
                        await CutAsync(context, writer, store.LastSequence - next + 1, settings, stop.Token);
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The subscriber left, or the host is stopping: the stream is over.
        }
    }

    /// <summary>
    /// Waits for the connection to take what was written; false if, meanwhile, the subscriber fell too far behind.
    /// </summary>
    private async ValueTask<bool> FlushWithinLagAsync(PipeWriter writer, long next, DiagnosticsOptions settings, CancellationToken cancellationToken)
    {
        var flush = writer.FlushAsync(cancellationToken);
        if (flush.IsCompleted)
        {
            await flush;
            return true;
        }

        var flushed = flush.AsTask();
        while (true)
        {
            var arrived = store.NextEventAsync();
            if (store.LastSequence - next >= settings.StreamMaxLagEvents)
            {
                writer.CancelPendingFlush();
                await flushed;
                return false;
            }

            if (await Task.WhenAny(flushed, arrived) == flushed)
            {
                await flushed;
                return true;
            }
        }
    }

    private async Task CutAsync(HttpContext context, PipeWriter writer, long lag, DiagnosticsOptions settings, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _cut);
        metrics.StreamSubscriberCut();
        DiagnosticsLog.StreamSubscriberCut(logger, HopName, lag, settings.StreamMaxLagEvents);
        WriteResync(writer, EventStreamCursor.FellBehind, store.LastSequence);

        // A subscriber that reads gets the resync; one that does not is not waited for.
        var flush = writer.FlushAsync(cancellationToken).AsTask();
        if (await Task.WhenAny(flush, Task.Delay(CutGrace, timeProvider, cancellationToken)) != flush || (await flush).IsCanceled)
        {
            context.Abort();
        }
    }

    private void WriteResync(PipeWriter writer, string reason, long continuesAfter)
    {
        var id = EventStreamCursor.IdOf(store, Math.Max(0, continuesAfter));
        writer.Write(Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"id: {id}\nevent: resync\ndata: {{\"reason\":\"{reason}\",\"epoch\":\"{store.Epoch}\",\"lastEventId\":\"{id}\"}}\n\n")));
    }
}
