using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace AbortLab.Connections;

/// <summary>
/// Follows one server connection: stamps the close time on the timelines that wait for it, and applies the socket
/// policy after an abort on HTTP/1.x (no reuse; abort after the linger time). On HTTP/2 an abort resets one stream
/// and the connection rightly stays open.
/// </summary>
internal sealed class ConnectionTracker : IAbortScopeObserver
{
    private readonly object _gate = new();
    private readonly ConnectionRegistry _registry;
    private readonly IConnectionLifetimeFeature _lifetime;
    private readonly IConnectionLifetimeNotificationFeature? _closeNotification;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private LiveTimeline? _latest;

    // The request running on an HTTP/1.x connection (one at a time), whose client a close proves gone.
    private AbortScope? _running;
    private List<LiveTimeline>? _abortedTimelines;
    private ITimer? _lingerTimer;
    private TimeSpan _lingerTimeout;
    private bool _closed;
    private int _activeRequests;
    private string? _hop;

    public ConnectionTracker(
        ConnectionRegistry registry,
        string connectionId,
        string protocol,
        bool isHttp1,
        IConnectionLifetimeFeature lifetime,
        IConnectionLifetimeNotificationFeature? closeNotification,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _registry = registry;
        ConnectionId = connectionId;
        Protocol = protocol;
        IsHttp1 = isHttp1;
        _lifetime = lifetime;
        _closeNotification = closeNotification;
        _timeProvider = timeProvider;
        _logger = logger;
        OpenedAt = timeProvider.GetUtcNow();
    }

    public string ConnectionId { get; }

    public bool IsHttp1 { get; }

    public string Protocol { get; }

    /// <summary>The hop of the requests on this connection (one host's connections all have the same).</summary>
    public string? Hop
    {
        get
        {
            lock (_gate)
            {
                return _hop;
            }
        }
    }

    /// <summary>The request timelines this connection still holds: the newest, and aborted ones awaiting the close.</summary>
    public IReadOnlyList<LiveTimeline> Timelines
    {
        get
        {
            lock (_gate)
            {
                var timelines = new List<LiveTimeline>((_abortedTimelines?.Count ?? 0) + 1);
                if (_abortedTimelines is not null)
                {
                    timelines.AddRange(_abortedTimelines);
                }

                if (_latest is not null && !timelines.Contains(_latest))
                {
                    timelines.Add(_latest);
                }

                return timelines;
            }
        }
    }

    public DateTimeOffset OpenedAt { get; }

    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    // Registered once, after construction: the callback may run at once on a connection that already closed.
    public void Start()
    {
        _lifetime.ConnectionClosed.UnsafeRegister(static state => ((ConnectionTracker)state!).OnClosed(), this);
    }

    public void OnRequestStarted(AbortScope scope)
    {
        Interlocked.Increment(ref _activeRequests);
        var timeline = scope.Timeline;
        bool closed;
        lock (_gate)
        {
            closed = _closed;
            _latest = timeline;
            _running = IsHttp1 ? scope : null;
            _hop = timeline.Request.Hop;
        }

        if (closed)
        {
            timeline.MarkConnectionClosed();
        }
    }

    public void OnAborted(AbortScope scope, AbortReason reason, AbortDetection detectedBy)
    {
        // An HTTP/2 connection rightly outlives its reset streams: nothing waits for its close, so a long-lived
        // connection with many resets holds no timeline.
        if (!IsHttp1)
        {
            return;
        }

        // An upgraded connection ends with its session; asking Kestrel to close it would cut a close handshake short.
        var closeAfterRequest = !scope.IsUpgradeRequest;

        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            (_abortedTimelines ??= []).Add(scope.Timeline);
        }

        // Kestrel then answers with "Connection: close" if it still can, and closes after this request.
        if (closeAfterRequest)
        {
            _closeNotification?.RequestClose();
        }
    }

    public int TimelinesAwaitingClose
    {
        get
        {
            lock (_gate)
            {
                return _abortedTimelines?.Count ?? 0;
            }
        }
    }

    public void OnRequestEnded(AbortScope scope, TimeSpan lingerTimeout)
    {
        Interlocked.Decrement(ref _activeRequests);
        if (!IsHttp1)
        {
            return;
        }

        lock (_gate)
        {
            if (ReferenceEquals(_running, scope))
            {
                _running = null;
            }

            if (!scope.IsAborted || _closed || _lingerTimer is not null)
            {
                return;
            }

            _lingerTimeout = lingerTimeout;
            _lingerTimer = NonCapturingTimer.Create(_timeProvider, 
                static state => ((ConnectionTracker)state!).OnLingerExpired(),
                this,
                lingerTimeout,
                Timeout.InfiniteTimeSpan);
        }
    }

    private void OnLingerExpired()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
        }

        ConnectionLog.ConnectionLingerExpired(_logger, ConnectionId, _lingerTimeout.TotalMilliseconds);
        _lifetime.Abort();
    }

    private void OnClosed()
    {
        LiveTimeline? latest;
        List<LiveTimeline>? aborted;
        AbortScope? running;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            running = _running;
            _running = null;
            latest = _latest;
            aborted = _abortedTimelines;
            _latest = null;
            _abortedTimelines = null;
            _lingerTimer?.Dispose();
            _lingerTimer = null;
        }

        // Kestrel fires RequestAborted for this only after one more trip through the thread pool (it schedules the
        // cancellation from its own callback on this token): aborting here stops the request's work, and a proxy's
        // upstream request, that much sooner.
        running?.AbortOnConnectionClosed();

        if (aborted is not null)
        {
            foreach (var timeline in aborted)
            {
                timeline.MarkConnectionClosed();
            }
        }

        latest?.MarkConnectionClosed();
        _registry.Remove(this);
    }
}
