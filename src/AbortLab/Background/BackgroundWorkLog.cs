using Microsoft.Extensions.Logging;

namespace AbortLab.Background;

/// <summary>Log messages of the background work queue. A client that goes away is normal: those are Debug.</summary>
internal static partial class BackgroundWorkLog
{
    [LoggerMessage(11, LogLevel.Debug, "Background work '{Name}' stopped: its request was aborted or the host is stopping.", EventName = "BackgroundWorkCanceled")]
    public static partial void BackgroundWorkCanceled(ILogger logger, string name);

    [LoggerMessage(12, LogLevel.Error, "Background work '{Name}' failed.", EventName = "BackgroundWorkFailed")]
    public static partial void BackgroundWorkFailed(ILogger logger, string name, Exception exception);
}
