using Microsoft.Extensions.Logging;

namespace AbortLab.Uploads;

/// <summary>Log messages of stalled-upload detection. A client that goes away is normal: those are Debug.</summary>
internal static partial class UploadLog
{
    [LoggerMessage(3, LogLevel.Debug, "Request {RequestId}: the client's socket is closed while its upload is unread (TCP state {TcpState}).", EventName = "StalledUploadDetected")]
    public static partial void StalledUploadDetected(ILogger logger, string requestId, string tcpState);

    [LoggerMessage(6, LogLevel.Debug, "Request {RequestId}: upload read-ahead started.", EventName = "ReadAheadStarted")]
    public static partial void ReadAheadStarted(ILogger logger, string requestId);

    [LoggerMessage(7, LogLevel.Warning, "Request {RequestId}: the upload probe failed and is off for this request.", EventName = "UploadProbeFailed")]
    public static partial void UploadProbeFailed(ILogger logger, string requestId, Exception exception);
}
