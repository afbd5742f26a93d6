using Microsoft.Extensions.Logging;

namespace AbortLab;

/// <summary>
/// AbortLab's log messages. A client that goes away is normal: those are Debug.
/// </summary>
internal static partial class AbortLabLog
{
    [LoggerMessage(1, LogLevel.Debug, "Request {RequestId} ({Method} {Path}) aborted: {Reason}, detected by {DetectedBy}.", EventName = "RequestAborted")]
    public static partial void RequestAborted(ILogger logger, string requestId, string method, string path, AbortReason reason, AbortDetection detectedBy);

    [LoggerMessage(2, LogLevel.Debug, "Request {RequestId} ended with {ExceptionType} after its abort ({Reason}); recorded status {StatusCode}.", EventName = "AbortExceptionHandled")]
    public static partial void AbortExceptionHandled(ILogger logger, string requestId, string exceptionType, AbortReason reason, int statusCode, Exception exception);

    [LoggerMessage(3, LogLevel.Debug, "Request {RequestId}: the client's socket is closed while its upload is unread (TCP state {TcpState}).", EventName = "StalledUploadDetected")]
    public static partial void StalledUploadDetected(ILogger logger, string requestId, string tcpState);

    [LoggerMessage(4, LogLevel.Debug, "Connection {ConnectionId} still open {LingerMs} ms after an aborted request; aborting it.", EventName = "ConnectionLingerExpired")]
    public static partial void ConnectionLingerExpired(ILogger logger, string connectionId, double lingerMs);

    [LoggerMessage(5, LogLevel.Warning, "A callback registered on the abort token of request {RequestId} threw.", EventName = "AbortCallbackFailed")]
    public static partial void AbortCallbackFailed(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(6, LogLevel.Debug, "Request {RequestId}: upload read-ahead started.", EventName = "ReadAheadStarted")]
    public static partial void ReadAheadStarted(ILogger logger, string requestId);

    [LoggerMessage(7, LogLevel.Warning, "Request {RequestId}: the upload probe failed and is off for this request.", EventName = "UploadProbeFailed")]
    public static partial void UploadProbeFailed(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(9, LogLevel.Warning, "Request {RequestId} to {Endpoint} still runs {ThresholdMs} ms after its abort ({Reason}): {RunningWork}. It ignores its abort token.", EventName = "ZombieDetected")]
    public static partial void ZombieDetected(ILogger logger, string requestId, string endpoint, double thresholdMs, AbortReason reason, string runningWork);

    [LoggerMessage(10, LogLevel.Warning, "Request {RequestId} still runs {AfterMs} ms after its abort: its connection was aborted to free the socket.", EventName = "ZombieConnectionAborted")]
    public static partial void ZombieConnectionAborted(ILogger logger, string requestId, double afterMs);

    [LoggerMessage(11, LogLevel.Debug, "Background work '{Name}' stopped: its request was aborted or the host is stopping.", EventName = "BackgroundWorkCanceled")]
    public static partial void BackgroundWorkCanceled(ILogger logger, string name);

    [LoggerMessage(12, LogLevel.Error, "Background work '{Name}' failed.", EventName = "BackgroundWorkFailed")]
    public static partial void BackgroundWorkFailed(ILogger logger, string name, Exception exception);

    [LoggerMessage(13, LogLevel.Information, "Shutdown of {Hop}: {StreamsNotified} stream(s) told, {StreamsAcknowledged} acknowledged; {RequestsDrained} request(s) drained, {RequestsAborted} aborted, {ZombiesLeft} zombie(s) left; {RequestsRefused} new request(s) refused while draining.", EventName = "ShutdownReported")]
    public static partial void ShutdownReported(ILogger logger, string hop, int streamsNotified, int streamsAcknowledged, int requestsDrained, int requestsAborted, int zombiesLeft, int requestsRefused);

    [LoggerMessage(14, LogLevel.Error, "The idempotency store failed for key {Key}: the request was refused with 503, not run.", EventName = "IdempotencyStoreFailed")]
    public static partial void IdempotencyStoreFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "The host is stopping: aborting {Count} request scope(s) with reason ServerShutdown.", EventName = "ShutdownAbortingScopes")]
    public static partial void ShutdownAbortingScopes(ILogger logger, int count);

    [LoggerMessage(15, LogLevel.Warning, "An event stream subscriber on {Hop} fell {Lag} events behind (limit {Limit}) and was cut; it was told to resync.", EventName = "StreamSubscriberCut")]
    public static partial void StreamSubscriberCut(ILogger logger, string hop, long lag, int limit);

    [LoggerMessage(16, LogLevel.Warning, "An event stream subscriber on {Hop} was refused: {Limit} already follow the stream (AbortLabOptions.Diagnostics.MaxStreamSubscribers).", EventName = "StreamSubscriberRefused")]
    public static partial void StreamSubscriberRefused(ILogger logger, string hop, int limit);

    [LoggerMessage(17, LogLevel.Debug, "A diagnostics request to {Path} was refused: {Why}.", EventName = "DiagnosticsRefused")]
    public static partial void DiagnosticsRefused(ILogger logger, string path, string why);

    [LoggerMessage(18, LogLevel.Warning, "The lease on Idempotency-Key {Key} was lost while its request ran: another attempt may hold it now.", EventName = "IdempotencyLeaseLost")]
    public static partial void IdempotencyLeaseLost(ILogger logger, string key);

    [LoggerMessage(19, LogLevel.Warning, "The lease on Idempotency-Key {Key} could not be renewed; trying again at the next renewal.", EventName = "IdempotencyLeaseRenewalFailed")]
    public static partial void IdempotencyLeaseRenewalFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(20, LogLevel.Debug, "Purged {Count} expired idempotency key(s).", EventName = "IdempotencyKeysPurged")]
    public static partial void IdempotencyKeysPurged(ILogger logger, int count);

    [LoggerMessage(21, LogLevel.Warning, "Purging expired idempotency keys failed; trying again at the next interval.", EventName = "IdempotencyPurgeFailed")]
    public static partial void IdempotencyPurgeFailed(ILogger logger, Exception exception);
}
