namespace AbortLab.Idempotency;

/// <summary>
/// The id of every log event of this package, in one place: ids are never reused, and a test checks that no two
/// events of any AbortLab package share one.
/// </summary>
internal static class EventIds
{
    /// <summary>Error.</summary>
    public const int IdempotencyStoreFailed = 101;

    /// <summary>Warning.</summary>
    public const int IdempotencyLeaseLost = 102;

    /// <summary>Warning.</summary>
    public const int IdempotencyLeaseRenewalFailed = 103;

    /// <summary>Debug.</summary>
    public const int IdempotencyKeysPurged = 104;

    /// <summary>Warning.</summary>
    public const int IdempotencyPurgeFailed = 105;
}
