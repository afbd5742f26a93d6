using System.Diagnostics;
using AbortLab.Connections;
using AbortLab.Telemetry;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AbortLab.Hosting;

/// <summary>
/// Creates the scope of each request (with its timeline) and releases it when the request ends.
/// </summary>
internal sealed class AbortScopeFactory
{
    private readonly TimelineStore _store;
    private readonly TimelineSink _sink;
    private readonly TimeProvider _timeProvider;
    private readonly AbortEffects _effects;
    private readonly LiveScopeRegistry _live;
    private readonly AbortLabMetrics _metrics;
    private readonly CurrentAbortLabOptions _options;
    private readonly RecordingBudget _budget;

    public AbortScopeFactory(TimelineStore store, TimelineSink sink, TimeProvider timeProvider, AbortEffects effects, LiveScopeRegistry live, AbortLabMetrics metrics, CurrentAbortLabOptions options)
    {
        _options = options;
        _budget = new RecordingBudget(timeProvider);
        _store = store;
        _sink = sink;
        _timeProvider = timeProvider;
        _effects = effects;
        _live = live;
        _metrics = metrics;
    }

    /// <summary>
    /// Creates a scope, bound to its request <paramref name="context"/> if any (so that the watchdog can name its endpoint and
    /// abort its connection) until <see cref="AbortScope.Complete"/>.
    /// </summary>
    public AbortScope Create(in RequestDescription request, Activity? activity, ConnectionTracker? connection, HttpContext? context = null, IHttpRequestLifetimeFeature? serverLifetime = null)
    {
        var timeline = _store.Create(_sink, _timeProvider, request);
        if (_budget.TryTake(timeline.StartTimestamp, _options.Value.RecordedRequestsPerSecond))
        {
            timeline.MarkStarted();
        }

        var scope = new AbortScope(_effects, timeline, activity, connection, context, serverLifetime);
        _metrics.ScopeStarted();
        _live.Add(scope);
        return scope;
    }

    public void Release(AbortScope scope)
    {
        if (_live.Remove(scope))
        {
            _metrics.ScopeEnded();
        }
    }
}
