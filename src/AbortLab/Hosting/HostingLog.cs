using Microsoft.Extensions.Logging;

namespace AbortLab.Hosting;

/// <summary>The hosting layer's log messages: aborts the middleware answers. A client that goes away is normal: those are Debug.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventIds.RequestAborted, LogLevel.Debug, "Request {RequestId} ({Method} {Path}) aborted: {Reason}, detected by {DetectedBy}.", EventName = nameof(EventIds.RequestAborted))]
    public static partial void RequestAborted(ILogger logger, string requestId, string method, string path, AbortReason reason, AbortDetection detectedBy);

    [LoggerMessage(EventIds.AbortExceptionHandled, LogLevel.Debug, "Request {RequestId} ended with {ExceptionType} after its abort ({Reason}); recorded status {StatusCode}.", EventName = nameof(EventIds.AbortExceptionHandled))]
    public static partial void AbortExceptionHandled(ILogger logger, string requestId, string exceptionType, AbortReason reason, int statusCode, Exception exception);

    [LoggerMessage(EventIds.AbortCallbackFailed, LogLevel.Warning, "A callback registered on the abort token of request {RequestId} threw.", EventName = nameof(EventIds.AbortCallbackFailed))]
    public static partial void AbortCallbackFailed(ILogger logger, string requestId, Exception exception);
}
