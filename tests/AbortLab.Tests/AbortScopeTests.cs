using System.Diagnostics;
using AbortLab.Hosting;
using AbortLab.Telemetry;
using AbortLab.Testing;
using AbortLab.Timelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AbortLab.Tests;

public sealed class AbortScopeTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly MiddlewareHarness _services;
    private readonly TimelineStore _store;
    private readonly AbortScopeFactory _factory;

    public AbortScopeTests()
    {
        _services = new MiddlewareHarness(timeProvider: _time);
        _store = _services.Store;
        _factory = _services.Factory;
    }

    [Fact]
    public void Abort_FirstReasonWins_AndTheTimeIsRecorded()
    {
        var scope = NewScope();
        _time.Advance(TimeSpan.FromMilliseconds(250));

        Assert.True(scope.Abort(AbortReason.UpstreamCanceled));
        Assert.False(scope.Abort(AbortReason.ClientDisconnected));

        Assert.True(scope.Token.IsCancellationRequested);
        Assert.Equal(AbortReason.UpstreamCanceled, scope.Reason);
        Assert.Equal(_time.GetUtcNow(), scope.AbortedAt);
        Assert.Equal(AbortReason.UpstreamCanceled, _store.Find(scope.RequestId)!.AbortReason);
    }

    [Fact]
    public void TimeoutAbort_CancelsTheScopeToken_ButNotTheTokenHandedToRequestTimeouts()
    {
        var scope = NewScope();

        scope.Abort(AbortReason.Timeout);

        Assert.True(scope.Token.IsCancellationRequested);
        Assert.False(scope.RequestAbortedToken.IsCancellationRequested);

        // The client leaving afterwards still reaches code outside the timeout's reach.
        Assert.False(scope.Abort(AbortReason.ClientDisconnected));
        Assert.True(scope.RequestAbortedToken.IsCancellationRequested);
        Assert.Equal(AbortReason.Timeout, scope.Reason);
    }

    [Fact]
    public void Abort_UnknownReason_Throws()
    {
        var scope = NewScope();
        Assert.Throws<ArgumentOutOfRangeException>(() => scope.Abort((AbortReason)42));
        Assert.False(scope.IsAborted);
    }

    [Fact]
    public void Abort_WhenACallbackThrows_StillCompletesAndRecords()
    {
        var scope = NewScope();
        var laterCallbackRan = false;
        scope.Token.Register(() => laterCallbackRan = true);
        scope.Token.Register(() => throw new InvalidOperationException("callback bug"));

        Assert.True(scope.Abort(AbortReason.Application));

        Assert.True(laterCallbackRan);
        Assert.Equal(AbortReason.Application, scope.Reason);
    }

    [Fact]
    public void Track_RecordsWhenEachPieceOfWorkStoppedAfterTheAbort()
    {
        var scope = NewScope();
        var db = scope.Track("db");
        var cpu = scope.Track("cpu");
        _time.Advance(TimeSpan.FromMilliseconds(100));
        scope.Abort(AbortReason.ClientDisconnected);
        _time.Advance(TimeSpan.FromMilliseconds(5));
        db.Dispose();
        scope.Timeline.MarkCompleted(499);

        // Work still runs: the abort is not yet fully acted on.
        Assert.Null(_store.Find(scope.RequestId)!.AbortToWorkStoppedMs);

        _time.Advance(TimeSpan.FromMilliseconds(20));
        cpu.Cancel();

        var timeline = _store.Find(scope.RequestId)!;
        Assert.Equal([WorkOutcome.Canceled, WorkOutcome.Canceled], timeline.Work.Select(w => w.Outcome));
        Assert.Equal(25, timeline.AbortToWorkStoppedMs);
        Assert.Equal(timeline.AbortedAt!.Value.AddMilliseconds(5), timeline.Work[0].EndedAt);
    }

    [Fact]
    public void Track_FirstEndCounts()
    {
        var scope = NewScope();
        var work = scope.Track("w");
        work.Complete();
        work.Fail(new InvalidOperationException());
        work.Dispose();
        Assert.Equal(WorkOutcome.Completed, work.Outcome);
    }

    [Fact]
    public async Task RunAsync_ClassifiesCompletedCanceledAndFaulted()
    {
        var scope = NewScope();
        await scope.RunAsync("ok", _ => Task.CompletedTask);
        await Assert.ThrowsAsync<InvalidOperationException>(() => scope.RunAsync("bug", _ => throw new InvalidOperationException()));
        var result = await scope.RunAsync("value", _ => Task.FromResult(42));
        scope.Abort(AbortReason.ClientDisconnected);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => scope.RunAsync("waits", token => Task.Delay(Timeout.Infinite, token)));

        Assert.Equal(42, result);
        Assert.Equal(
            [WorkOutcome.Completed, WorkOutcome.Faulted, WorkOutcome.Completed, WorkOutcome.Canceled],
            _store.Find(scope.RequestId)!.Work.Select(w => w.Outcome));
    }

    [Fact]
    public void Track_RejectsEmptyNames()
    {
        var scope = NewScope();
        Assert.Throws<ArgumentException>(() => scope.Track(" "));
    }

    [Fact]
    public void Abort_IsCountedWithItsReasonAndDetector()
    {
        using var collector = new MetricCollector<long>(_services.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "AbortLab", "abortlab.requests.aborted");
        var scope = NewScope();

        scope.Abort(AbortReason.Application);

        var measurement = Assert.Single(collector.GetMeasurementSnapshot());
        Assert.Equal("application", measurement.Tags["abortlab.abort.reason"]);
        Assert.Equal("code", measurement.Tags["abortlab.abort.detected_by"]);
    }

    [Fact]
    public void Abort_AddsAnEventAndTagToTheRequestsActivity()
    {
        using var source = new ActivitySource("AbortLab.Tests.Activity");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var activity = source.StartActivity("request")!;
        var scope = _factory.Create(new RequestDescription(activity.TraceId.ToHexString(), "unit", null, "GET", "/", "HTTP/1.1", null), activity, null);

        scope.Abort(AbortReason.ClientDisconnected);

        Assert.Equal("client_disconnected", activity.GetTagItem("abortlab.abort.reason"));
        var abortEvent = Assert.Single(activity.Events);
        Assert.Equal("abortlab.abort", abortEvent.Name);
        Assert.Contains(abortEvent.Tags, t => t.Key == "abortlab.abort.detected_by" && (string?)t.Value == "code");
    }

    public void Dispose()
    {
        _services.Dispose();
    }

    private AbortScope NewScope() =>
        _factory.Create(new RequestDescription("0af7651916cd43dd8448eb211c80319c", "unit", null, "GET", "/", "HTTP/1.1", null), null, null);
}
