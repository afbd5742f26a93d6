using System.Diagnostics;
using AbortLab.Telemetry;
using AbortLab.Zombies;
using Microsoft.Extensions.Logging;

namespace AbortLab.Hosting;

/// <summary>
/// What every abort entails, after the scope's token was cancelled: the metric, the log, the activity's event, and
/// the zombie watch.
/// </summary>
internal sealed class AbortEffects : IAbortScopeHost
{
    private readonly AbortLabMetrics _metrics;
    private readonly ZombieWatchdog _zombies;
    private readonly ILogger _logger;

    public AbortEffects(AbortLabMetrics metrics, ZombieWatchdog zombies, ILogger<AbortEffects> logger)
    {
        _metrics = metrics;
        _zombies = zombies;
        _logger = logger;
    }

    public void OnAborted(AbortScope scope, AbortReason reason, AbortDetection detectedBy)
    {
        _metrics.Aborted(reason, detectedBy);
        var request = scope.Timeline.Request;
        HostingLog.RequestAborted(_logger, scope.TimelineId, request.Method, request.Path, reason, detectedBy);

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

        _zombies.Watch(scope);
    }

    public void OnCallbackFailed(AbortScope scope, AggregateException exception) =>
        HostingLog.AbortCallbackFailed(_logger, scope.TimelineId, exception);
}
