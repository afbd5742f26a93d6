using AbortLab.Testing;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace AbortLab.Tests.Hosting;

public sealed class RecordingBudgetTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task NormalRequests_PastTheBudget_TakeNoSlotAndPublishNoEvent_UntilTheNextSecond()
    {
        using var harness = new MiddlewareHarness(static _ => Task.CompletedTask, o => o.RecordedRequestsPerSecond = 2, _time);

        for (var i = 0; i < 5; i++)
        {
            await harness.Pipeline(MiddlewareHarness.NewContext("/normal"));
        }

        var store = harness.Store;
        Assert.Equal(5, store.LastTimelineId);
        Assert.Equal(2, store.Count);
        Assert.Equal(["2", "1"], store.GetRecent(new TimelineQuery()).Select(t => t.Id));
        Assert.Equal(4, store.LastSequence);

        _time.Advance(TimeSpan.FromSeconds(1));
        await harness.Pipeline(MiddlewareHarness.NewContext("/normal"));

        Assert.Equal(3, store.Count);
        Assert.NotNull(store.Find("6"));
    }

    [Fact]
    public async Task RequestsThatMatter_PastTheBudget_AreRecorded_StartFirst()
    {
        using var harness = new MiddlewareHarness(
            static context => context.Request.Path.Value switch
            {
                "/abort" => Abort(context),
                "/fail" => throw new InvalidOperationException("The endpoint failed."),
                "/status500" => SetStatus(context, StatusCodes.Status500InternalServerError),
                "/id" => SetHeader(context, context.GetAbortScope().RequestId),
                "/faulted-work" => context.GetAbortScope().RunAsync("work", static _ => throw new InvalidOperationException("The work failed.")),
                _ => Task.CompletedTask,
            },
            o => o.RecordedRequestsPerSecond = 0,
            _time);

        await harness.Pipeline(MiddlewareHarness.NewContext("/normal"));
        await harness.Pipeline(MiddlewareHarness.NewContext("/abort"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Pipeline(MiddlewareHarness.NewContext("/fail")));
        await harness.Pipeline(MiddlewareHarness.NewContext("/status500"));
        var withId = MiddlewareHarness.NewContext("/id");
        await harness.Pipeline(withId);
        await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Pipeline(MiddlewareHarness.NewContext("/faulted-work")));

        var store = harness.Store;
        Assert.Null(store.Find("1"));
        Assert.Equal(["/faulted-work", "/id", "/status500", "/fail", "/abort"], store.GetRecent(new TimelineQuery()).Select(t => t.Path));
        Assert.NotNull(store.Find(withId.Response.Headers["X-Request-Id"].ToString()));

        var events = new List<TimelineEvent>();
        await foreach (var timelineEvent in store.ReadEventsAsync(0, new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token))
        {
            events.Add(timelineEvent);
            if (timelineEvent.Sequence == store.LastSequence)
            {
                break;
            }
        }

        Assert.DoesNotContain(events, e => e.RequestNumber == 1);
        var aborted = events.Where(e => e.RequestNumber == 2).Select(e => e.Kind).ToArray();
        Assert.Equal(TimelineEventKind.RequestStarted, aborted[0]);
        Assert.Contains(TimelineEventKind.RequestAborted, aborted);
        Assert.Equal(TimelineEventKind.RequestCompleted, aborted[^1]);
    }

    private static Task Abort(HttpContext context)
    {
        context.GetAbortScope().Abort(AbortReason.Application);
        return Task.CompletedTask;
    }

    private static Task SetStatus(HttpContext context, int statusCode)
    {
        context.Response.StatusCode = statusCode;
        return Task.CompletedTask;
    }

    private static Task SetHeader(HttpContext context, string requestId)
    {
        context.Response.Headers["X-Request-Id"] = requestId;
        return Task.CompletedTask;
    }
}
