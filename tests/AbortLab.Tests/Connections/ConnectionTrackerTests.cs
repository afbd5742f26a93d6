using AbortLab.Testing;
using AbortLab.Connections;
using AbortLab.Hosting;
using AbortLab.Telemetry;
using AbortLab.Timelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AbortLab.Tests.Connections;

public sealed class ConnectionTrackerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly FakeConnection _connection = new();
    private readonly ConnectionRegistry _registry;
    private readonly AbortScopeFactory _factory;
    private readonly MiddlewareHarness _services;

    public ConnectionTrackerTests()
    {
        _services = new MiddlewareHarness(timeProvider: _time);
        _registry = _services.Services.GetRequiredService<ConnectionRegistry>();
        _factory = _services.Factory;
    }

    [Fact]
    public void Http1ConnectionClosing_AbortsTheRequestRunningOnIt_AsClientDisconnected()
    {
        var tracker = NewTracker(isHttp1: true);
        var scope = NewScope(tracker, new DefaultHttpContext());

        _connection.Close();

        Assert.Equal(AbortReason.ClientDisconnected, scope.Reason);
        Assert.True(scope.Token.IsCancellationRequested);
        Assert.NotNull(scope.Timeline.ToSnapshot().ConnectionClosedAt);
    }

    [Fact]
    public void ConnectionClosing_AfterTheRequestEnded_DoesNotAbortIt()
    {
        var tracker = NewTracker(isHttp1: true);
        var scope = NewScope(tracker, new DefaultHttpContext());
        scope.Complete(200);
        tracker.OnRequestEnded(scope, TimeSpan.FromSeconds(2));

        _connection.Close();

        Assert.False(scope.IsAborted);
    }

    [Fact]
    public void Http2ConnectionClosing_LeavesTheStreamsToTheServer()
    {
        var tracker = NewTracker(isHttp1: false);
        var scope = NewScope(tracker, new DefaultHttpContext());

        _connection.Close();

        Assert.False(scope.IsAborted);
    }

    [Fact]
    public void AbortedHttp1Request_AsksTheServerToClose_AndAbortsTheConnectionAfterTheLinger()
    {
        var tracker = NewTracker(isHttp1: true);
        var scope = NewScope(tracker);

        scope.Abort(AbortReason.ClientDisconnected);
        Assert.True(_connection.CloseRequested);

        tracker.OnRequestEnded(scope, TimeSpan.FromSeconds(2));
        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(_connection.Aborted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(_connection.Aborted);
    }

    [Fact]
    public void ConnectionClosedWithinTheLinger_IsNotAborted_AndIsStampedOnTheTimeline()
    {
        var tracker = NewTracker(isHttp1: true);
        var scope = NewScope(tracker);
        scope.Abort(AbortReason.Timeout);
        tracker.OnRequestEnded(scope, TimeSpan.FromSeconds(2));

        _time.Advance(TimeSpan.FromMilliseconds(300));
        _connection.Close();
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.False(_connection.Aborted);
        Assert.Equal(300, scope.Timeline.ToSnapshot().AbortToConnectionClosedMs);
        Assert.Equal(0, _registry.OpenCount);
    }

    [Fact]
    public void AbortedHttp2Stream_LeavesTheConnectionAlone()
    {
        var tracker = NewTracker(isHttp1: false);
        var scope = NewScope(tracker);

        scope.Abort(AbortReason.ClientDisconnected);
        tracker.OnRequestEnded(scope, TimeSpan.Zero);
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.False(_connection.CloseRequested);
        Assert.False(_connection.Aborted);
    }

    [Fact]
    public void LongLivedHttp2Connection_WithManyResetStreams_HoldsNoTimelines()
    {
        var tracker = NewTracker(isHttp1: false);
        for (var i = 0; i < 1000; i++)
        {
            var scope = NewScope(tracker);
            scope.Abort(AbortReason.ClientDisconnected);
            tracker.OnRequestEnded(scope, TimeSpan.Zero);
        }

        Assert.Equal(0, tracker.TimelinesAwaitingClose);
        Assert.Equal(0, tracker.ActiveRequests);
    }

    [Fact]
    public void CompletedRequest_DoesNotArmTheLinger()
    {
        var tracker = NewTracker(isHttp1: true);
        var scope = NewScope(tracker);

        tracker.OnRequestEnded(scope, TimeSpan.Zero);
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.False(_connection.Aborted);
        Assert.False(_connection.CloseRequested);
    }

    private ConnectionTracker NewTracker(bool isHttp1)
    {
        var tracker = new ConnectionTracker(_registry, "conn-1", isHttp1 ? "HTTP/1.1" : "HTTP/2", isHttp1, _connection, _connection, _time, NullLogger.Instance);
        tracker.Start();
        return tracker;
    }

    private AbortScope NewScope(ConnectionTracker tracker, HttpContext? request = null)
    {
        var scope = _factory.Create(new RequestDescription("t", "unit", null, "GET", "/", "HTTP/1.1", "conn-1"), null, tracker, request);
        tracker.OnRequestStarted(scope);
        return scope;
    }

    private sealed class FakeConnection : IConnectionLifetimeFeature, IConnectionLifetimeNotificationFeature
    {
        private readonly CancellationTokenSource _closed = new();

        public bool Aborted { get; private set; }

        public bool CloseRequested { get; private set; }

        public CancellationToken ConnectionClosed
        {
            get => _closed.Token;
            set => throw new NotSupportedException();
        }

        public CancellationToken ConnectionClosedRequested
        {
            get => default;
            set => throw new NotSupportedException();
        }

        public void Abort() => Aborted = true;

        public void RequestClose() => CloseRequested = true;

        public void Close() => _closed.Cancel();
    }

    public void Dispose() => _services.Dispose();
}
