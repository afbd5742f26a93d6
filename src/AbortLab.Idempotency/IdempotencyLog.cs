using Microsoft.Extensions.Logging;

namespace AbortLab.Idempotency;

/// <summary>Log messages of the Idempotency-Key middleware. A client that goes away is normal: those are Debug.</summary>
internal static partial class IdempotencyLog
{
    [LoggerMessage(EventIds.IdempotencyStoreFailed, LogLevel.Error, "The idempotency store failed for key {Key}: the request was refused with 503, not run.", EventName = nameof(EventIds.IdempotencyStoreFailed))]
    public static partial void IdempotencyStoreFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(EventIds.IdempotencyLeaseLost, LogLevel.Warning, "The lease on Idempotency-Key {Key} was lost while its request ran: another attempt may hold it now.", EventName = nameof(EventIds.IdempotencyLeaseLost))]
    public static partial void IdempotencyLeaseLost(ILogger logger, string key);

    [LoggerMessage(EventIds.IdempotencyLeaseRenewalFailed, LogLevel.Warning, "The lease on Idempotency-Key {Key} could not be renewed; trying again at the next renewal.", EventName = nameof(EventIds.IdempotencyLeaseRenewalFailed))]
    public static partial void IdempotencyLeaseRenewalFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(EventIds.IdempotencyKeysPurged, LogLevel.Debug, "Purged {Count} expired idempotency key(s).", EventName = nameof(EventIds.IdempotencyKeysPurged))]
    public static partial void IdempotencyKeysPurged(ILogger logger, int count);

    [LoggerMessage(EventIds.IdempotencyPurgeFailed, LogLevel.Warning, "Purging expired idempotency keys failed; trying again at the next interval.", EventName = nameof(EventIds.IdempotencyPurgeFailed))]
    public static partial void IdempotencyPurgeFailed(ILogger logger, Exception exception);
}
