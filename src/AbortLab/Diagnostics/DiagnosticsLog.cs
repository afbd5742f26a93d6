using Microsoft.Extensions.Logging;

namespace AbortLab.Diagnostics;

/// <summary>Log messages of the diagnostics API. A client that goes away is normal: those are Debug.</summary>
internal static partial class DiagnosticsLog
{
    [LoggerMessage(EventIds.StreamSubscriberCut, LogLevel.Warning, "An event stream subscriber on {Hop} fell {Lag} events behind (limit {Limit}) and was cut; it was told to resync.", EventName = nameof(EventIds.StreamSubscriberCut))]
    public static partial void StreamSubscriberCut(ILogger logger, string hop, long lag, int limit);

    [LoggerMessage(EventIds.StreamSubscriberRefused, LogLevel.Warning, "An event stream subscriber on {Hop} was refused: {Limit} already follow the stream (AbortLabOptions.Diagnostics.MaxStreamSubscribers).", EventName = nameof(EventIds.StreamSubscriberRefused))]
    public static partial void StreamSubscriberRefused(ILogger logger, string hop, int limit);

    [LoggerMessage(EventIds.DiagnosticsRefused, LogLevel.Debug, "A diagnostics request to {Path} was refused: {Why}.", EventName = nameof(EventIds.DiagnosticsRefused))]
    public static partial void DiagnosticsRefused(ILogger logger, string path, string why);
}
