using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace AbortLab.Sensors;

/// <summary>
/// Finds the timeline of the request the calling code runs for: through the scope while the pipeline runs, and, for
/// a request that failed or was aborted, once it returned (Kestrel logs an unhandled exception there, and so does an
/// exception-logging middleware placed in front of AbortLab): through the exception that left the pipeline, else
/// through the request's <see cref="Activity"/> when hosting made one.
/// </summary>
internal static class RequestTimelineLocator
{
    private const string ActivityProperty = "AbortLab.Timeline";

    // Only exceptions that left a request's pipeline are added: a failure path, never the hot one. Weak keys: an
    // entry lives as long as its exception.
    private static readonly ConditionalWeakTable<Exception, LiveTimeline> FailedRequests = new();

    public static void Attach(Activity? activity, LiveTimeline timeline) => activity?.SetCustomProperty(ActivityProperty, timeline);

    public static void Attach(Exception exception, LiveTimeline timeline) => FailedRequests.AddOrUpdate(exception, timeline);

    public static LiveTimeline? Current(Exception? exception = null)
    {
        if (AbortScope.Current is { } scope)
        {
            return scope.Timeline;
        }

        if (exception is not null && FailedRequests.TryGetValue(exception, out var failed))
        {
            return failed;
        }

        for (var activity = Activity.Current; activity is not null; activity = activity.Parent)
        {
            if (activity.GetCustomProperty(ActivityProperty) is LiveTimeline timeline)
            {
                return timeline;
            }
        }

        return null;
    }
}
