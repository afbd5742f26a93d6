using Microsoft.Extensions.Logging;

namespace AbortLab.Idempotency;

/// <summary>Log messages of the Idempotency-Key middleware. A client that goes away is normal: those are Debug.</summary>
internal static partial class IdempotencyLog
{
    [LoggerMessage(14, LogLevel.Error, "The idempotency store failed for key {Key}: the request was refused with 503, not run.", EventName = "IdempotencyStoreFailed")]
    public static partial void IdempotencyStoreFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(18, LogLevel.Warning, "The lease on Idempotency-Key {Key} was lost while its request ran: another attempt may hold it now.", EventName = "IdempotencyLeaseLost")]
    public static partial void IdempotencyLeaseLost(ILogger logger, string key);

    [LoggerMessage(19, LogLevel.Warning, "The lease on Idempotency-Key {Key} could not be renewed; trying again at the next renewal.", EventName = "IdempotencyLeaseRenewalFailed")]
    public static partial void IdempotencyLeaseRenewalFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(20, LogLevel.Debug, "Purged {Count} expired idempotency key(s).", EventName = "IdempotencyKeysPurged")]
    public static partial void IdempotencyKeysPurged(ILogger logger, int count);

    [LoggerMessage(21, LogLevel.Warning, "Purging expired idempotency keys failed; trying again at the next interval.", EventName = "IdempotencyPurgeFailed")]
    public static partial void IdempotencyPurgeFailed(ILogger logger, Exception exception);
}
