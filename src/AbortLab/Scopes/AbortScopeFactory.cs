using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AbortLab;

/// <summary>
/// Creates the scope of each request, keeps the set of live scopes, aborts them all when the host stops, and carries
/// out what an abort entails: metrics, log, activity event, and closing the connection.
/// </summary>
internal sealed class AbortScopeFactory : IDisposable
{
    private readonly ConcurrentDictionary<AbortScope, byte> _liveScopes = new(ReferenceEqualityComparer.Instance);
    private readonly TimelineStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly AbortLabMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenRegistration _stoppingRegistration;
    private readonly ZombieWatchdog? _zombies;
    private readonly IOptionsMonitor<AbortLabOptions>? _options;
    private volatile bool _stopping;
    private volatile bool _draining;
    private int _refusedWhileDraining;
    private TaskCompletionSource? _idle;

    public AbortScopeFactory(
        TimelineStore store,
        TimeProvider timeProvider,
        AbortLabMetrics metrics,
        ILoggerFactory loggerFactory,
        IHostApplicationLifetime? lifetime = null,
        IOptionsMonitor<AbortLabOptions>? options = null)
    {
        _store = store;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = loggerFactory.CreateLogger("AbortLab");
        _zombies = options is null ? null : new ZombieWatchdog(timeProvider, options, metrics, _logger);
        _options = options;
        if (lifetime is not null)
        {
            _stoppingRegistration = lifetime.ApplicationStopping.UnsafeRegister(static state => ((AbortScopeFactory)state!).OnStopping(), this);
        }
    }

    public int LiveCount => _liveScopes.Count;

    public ICollection<AbortScope> LiveScopes => _liveScopes.Keys;

    public ILogger Logger => _logger;

    public bool IsDraining => _draining;

    public int RefusedWhileDraining => Volatile.Read(ref _refusedWhileDraining);

    public void CountRefused() => Interlocked.Increment(ref _refusedWhileDraining);

    public void BeginDrain()
    {
        lock (_liveScopes)
        {
            _draining = true;
        }
    }

    /// <summary>Waits until no scope is live, up to <paramref name="timeout"/>, on the scopes' own releases.</summary>
    public async Task WaitUntilIdleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task idle;
        lock (_liveScopes)
        {
            if (_liveScopes.IsEmpty)
            {
                return;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            idle = _idle.Task;
        }

        try
        {
            await idle.WaitAsync(timeout, _timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public TimeProvider TimeProvider => _timeProvider;

    public AbortScope Create(in RequestDescription request, Activity? activity, ConnectionTracker? connection)
    {
        var timeline = _store.Add(_timeProvider, _metrics, request);
        var scope = new AbortScope(this, timeline, activity, connection);
        _liveScopes.TryAdd(scope, 0);
        _metrics.ScopeStarted();
        if (_stopping)
        {
            scope.Abort(AbortReason.ServerShutdown, AbortDetection.Host);
        }

        return scope;
    }

    public void Release(AbortScope scope)
    {
        if (_liveScopes.TryRemove(scope, out _))
        {
            _metrics.ScopeEnded();
        }

        if (_draining)
        {
            lock (_liveScopes)
            {
                if (_liveScopes.IsEmpty && _idle is { } idle)
                {
                    _idle = null;
                    idle.TrySetResult();
                }
            }
        }
    }

    public void OnAborted(AbortScope scope, AbortReason reason, AbortDetection detectedBy)
    {
        _metrics.Aborted(reason, detectedBy);
        var request = scope.Timeline.Request;
        AbortLabLog.RequestAborted(_logger, scope.RequestId, request.Method, request.Path, reason, detectedBy);

        if (scope.Activity is { IsAllDataRequested: true } activity)
        {
            var reasonTag = AbortLabMetrics.ToTagValue(reason);
            activity.SetTag(AbortLabMetrics.ReasonTagName, reasonTag);
            activity.AddEvent(new ActivityEvent("abortlab.abort", tags: new ActivityTagsCollection
            {
                { AbortLabMetrics.ReasonTagName, reasonTag },
                { AbortLabMetrics.DetectedByTagName, AbortLabMetrics.ToTagValue(detectedBy) },
            }));
        }

        scope.Connection?.OnRequestAborted(scope);
        _zombies?.Watch(scope);
    }

    public void OnCallbackFailed(AbortScope scope, AggregateException exception)
    {
        AbortLabLog.AbortCallbackFailed(_logger, scope.RequestId, exception);
    }

    public void Dispose() => _stoppingRegistration.Dispose();

    private void OnStopping()
    {
        _stopping = true;

        // With draining on, the ShutdownCoordinator decides who is aborted, and when.
        if (_options?.CurrentValue.Shutdown.DrainEnabled == true)
        {
            return;
        }

        var scopes = _liveScopes.Keys;
        AbortLabLog.ShutdownAbortingScopes(_logger, scopes.Count);
        foreach (var scope in scopes)
        {
            scope.Abort(AbortReason.ServerShutdown, AbortDetection.Host);
        }
    }
}
