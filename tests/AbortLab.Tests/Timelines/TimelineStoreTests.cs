using AbortLab.Testing;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Http;

namespace AbortLab.Tests.Timelines;

public sealed class TimelineStoreTests
{
    [Fact]
    public async Task Store_After100000Requests_StaysWithinItsBound()
    {
        using var harness = new MiddlewareHarness(context =>
        {
            using var work = context.GetAbortScope().Track("work");
            return Task.CompletedTask;
        });

        for (var i = 0; i < 100_000; i++)
        {
            await harness.Pipeline(MiddlewareHarness.NewContext("/item"));
        }

        var store = harness.Store;
        Assert.Equal(10_000, store.Count);
        Assert.Equal(store.Capacity, store.Count);
        Assert.Equal(store.EventCapacity, store.EventCount);
        Assert.Equal(100_000 * 4, store.LastSequence);
        Assert.Equal(0, harness.Scopes.Count);
        Assert.Null(store.Find("1"));
        Assert.Null(store.Find("90000"));
        Assert.NotNull(store.Find("90001"));
        Assert.Equal("100000", store.GetRecent(new TimelineQuery { Limit = 1 }).Single().Id);
        Assert.Equal(10_000, store.GetRecent(new TimelineQuery { Limit = TimelineQuery.MaxLimit }).Count);
    }

    [Fact]
    public async Task Subscriber_SeesEveryEventInSequenceOrder_WhileRequestsRunConcurrently()
    {
        using var harness = new MiddlewareHarness(async context =>
        {
            var scope = context.GetAbortScope();
            await scope.RunAsync("a", _ => Task.CompletedTask);
            await Task.Yield();
            scope.Abort(AbortReason.Application);
        });
        const int Writers = 4;
        const int RequestsPerWriter = 2_000;
        const int EventsPerRequest = 5;
        const int Expected = Writers * RequestsPerWriter * EventsPerRequest;

        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<TimelineEvent>(Expected);
        var reader = Task.Run(async () =>
        {
            await foreach (var timelineEvent in harness.Store.ReadEventsAsync(0, cancellation.Token))
            {
                seen.Add(timelineEvent);
                if (seen.Count == Expected)
                {
                    return;
                }
            }
        });

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < RequestsPerWriter; i++)
            {
                await harness.Pipeline(MiddlewareHarness.NewContext());
            }
        })));
        await reader.WaitAsync(cancellation.Token);

        Assert.Equal(Enumerable.Range(1, Expected).Select(i => (long)i), seen.Select(e => e.Sequence));

        // Per request, events come in causal order.
        foreach (var events in seen.GroupBy(e => e.RequestId))
        {
            Assert.Equal(
                [TimelineEventKind.RequestStarted, TimelineEventKind.WorkStarted, TimelineEventKind.WorkEnded, TimelineEventKind.RequestAborted, TimelineEventKind.RequestCompleted],
                events.Select(e => e.Kind));
        }
    }

    [Fact]
    public async Task Reader_FallenBehindTheEventRing_ContinuesAtTheOldestHeldEvent()
    {
        var store = new TimelineStore(capacity: 10, eventCapacity: 16);
        var timeProvider = TimeProvider.System;
        for (var i = 0; i < 10; i++)
        {
            store.Add(new StoreOnlySink(store), timeProvider, new RequestDescription("t", "hop", null, "GET", "/", "HTTP/1.1", null)).MarkCompleted(200);
        }

        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var first = await store.ReadEventsAsync(0, cancellation.Token).FirstAsync(cancellation.Token);

        Assert.Equal(20, store.LastSequence);
        Assert.Equal(5, first.Sequence);
    }

    [Fact]
    public void GetRecent_FiltersByTagAndHop_NewestFirst()
    {
        var store = new TimelineStore(capacity: 100, eventCapacity: 1000);
        foreach (var (tag, hop) in new[] { ("a", "edge"), ("b", "app"), ("a", "app"), ("a", "app") })
        {
            store.Add(new StoreOnlySink(store), TimeProvider.System, new RequestDescription("t", hop, tag, "GET", "/", "HTTP/1.1", null));
        }

        var found = store.GetRecent(new TimelineQuery { Tag = "a", Hop = "app", Limit = 10 });

        Assert.Equal(["4", "3"], found.Select(t => t.Id));
        Assert.Single(store.GetRecent(new TimelineQuery { Tag = "a", Limit = 1 }));
        Assert.Null(store.Find("not-a-number"));
        Assert.Null(store.Find("0"));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.GetRecent(new TimelineQuery { Limit = 0 }));
    }
}
