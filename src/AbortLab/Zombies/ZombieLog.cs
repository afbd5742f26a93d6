using Microsoft.Extensions.Logging;

namespace AbortLab.Zombies;

/// <summary>Log messages of the zombie watchdog. A client that goes away is normal: those are Debug.</summary>
internal static partial class ZombieLog
{
    [LoggerMessage(EventIds.ZombieDetected, LogLevel.Warning, "Request {RequestId} to {Endpoint} still runs {ThresholdMs} ms after its abort ({Reason}): {RunningWork}. It ignores its abort token.", EventName = nameof(EventIds.ZombieDetected))]
    public static partial void ZombieDetected(ILogger logger, string requestId, string endpoint, double thresholdMs, AbortReason reason, string runningWork);

    [LoggerMessage(EventIds.ZombieConnectionAborted, LogLevel.Warning, "Request {RequestId} still runs {AfterMs} ms after its abort: its connection was aborted to free the socket.", EventName = nameof(EventIds.ZombieConnectionAborted))]
    public static partial void ZombieConnectionAborted(ILogger logger, string requestId, double afterMs);
}
