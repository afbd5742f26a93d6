using Microsoft.Extensions.Logging;

namespace AbortLab.Background;

/// <summary>Log messages of the background work queue. A client that goes away is normal: those are Debug.</summary>
internal static partial class BackgroundWorkLog
{
    [LoggerMessage(EventIds.BackgroundWorkCanceled, LogLevel.Debug, "Background work '{Name}' stopped: its request was aborted or the host is stopping.", EventName = nameof(EventIds.BackgroundWorkCanceled))]
    public static partial void BackgroundWorkCanceled(ILogger logger, string name);

    [LoggerMessage(EventIds.BackgroundWorkFailed, LogLevel.Error, "Background work '{Name}' failed.", EventName = nameof(EventIds.BackgroundWorkFailed))]
    public static partial void BackgroundWorkFailed(ILogger logger, string name, Exception exception);
}
