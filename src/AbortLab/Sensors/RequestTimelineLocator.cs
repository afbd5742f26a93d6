using System.Diagnostics;

namespace AbortLab.Sensors;

/// <summary>
/// Finds the timeline of the request the calling code runs for: through the scope while the pipeline runs, and, for
/// a request that failed or was aborted, through its <see cref="Activity"/> once it returned (Kestrel logs an
/// unhandled exception there, and so does an exception-logging middleware placed in front of AbortLab).
/// </summary>
internal static class RequestTimelineLocator
{
    private const string ActivityProperty = "AbortLab.Timeline";

    public static void Attach(Activity? activity, LiveTimeline timeline) => activity?.SetCustomProperty(ActivityProperty, timeline);

    public static LiveTimeline? Current()
    {
        if (AbortScope.Current is { } scope)
        {
            return scope.Timeline;
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
