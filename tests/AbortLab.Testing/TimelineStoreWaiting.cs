using System.Text.Json;
using System.Text.Json.Serialization;
using AbortLab.Timelines;

namespace AbortLab.Testing;

internal static class TimelineStoreWaiting
{
    private static readonly JsonSerializerOptions DumpOptions = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Replays the store's events from the first and follows new ones until a timeline matches.
    /// </summary>
    public static async Task<RequestTimeline> WaitForTimelineAsync(this IAbortTimelineStore store, Func<RequestTimeline, bool> predicate, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var timelineEvent in store.ReadEventsAsync(0, cancellation.Token))
            {
                if (store.Find(timelineEvent.RequestId) is { } timeline && predicate(timeline))
                {
                    return timeline;
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }

        var recent = store.GetRecent(new TimelineQuery { Limit = 5 });
        throw new TimeoutException($"No timeline matched within {timeout.TotalSeconds} s. Newest timelines:\n{JsonSerializer.Serialize(recent, DumpOptions)}");
    }
}
