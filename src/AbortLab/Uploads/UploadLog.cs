using Microsoft.Extensions.Logging;

namespace AbortLab.Uploads;

/// <summary>Log messages of stalled-upload detection. A client that goes away is normal: those are Debug.</summary>
internal static partial class UploadLog
{
    [LoggerMessage(EventIds.StalledUploadDetected, LogLevel.Debug, "Request {RequestId}: the client's socket is closed while its upload is unread (TCP state {TcpState}).", EventName = nameof(EventIds.StalledUploadDetected))]
    public static partial void StalledUploadDetected(ILogger logger, string requestId, string tcpState);

    [LoggerMessage(EventIds.ReadAheadStarted, LogLevel.Debug, "Request {RequestId}: upload read-ahead started.", EventName = nameof(EventIds.ReadAheadStarted))]
    public static partial void ReadAheadStarted(ILogger logger, string requestId);

    [LoggerMessage(EventIds.UploadProbeFailed, LogLevel.Warning, "Request {RequestId}: the upload probe failed and is off for this request.", EventName = nameof(EventIds.UploadProbeFailed))]
    public static partial void UploadProbeFailed(ILogger logger, string requestId, Exception exception);
}
