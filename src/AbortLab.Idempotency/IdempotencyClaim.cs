namespace AbortLab.Idempotency;

/// <summary>
/// What an <see cref="IIdempotencyStore"/> answered when a request tried to claim its key.
/// </summary>
/// <param name="Status">The outcome.</param>
/// <param name="Response">The stored response, for <see cref="IdempotencyClaimStatus.Completed"/>.</param>
public readonly record struct IdempotencyClaim(IdempotencyClaimStatus Status, StoredResponse? Response = null);

/// <summary>
/// The outcomes of claiming an idempotency key.
/// </summary>
public enum IdempotencyClaimStatus
{
    /// <summary>The key was free: this attempt owns it and runs.</summary>
    Claimed = 1,

    /// <summary>Another attempt with the key is running.</summary>
    InProgress = 2,

    /// <summary>An attempt with the key completed: its response is replayed.</summary>
    Completed = 3,

    /// <summary>The key was used with a different request.</summary>
    FingerprintMismatch = 4,

    /// <summary>
    /// An attempt with the key committed its side effect, but its process stopped before the response was stored: the
    /// key is never run again, and its outcome has to be looked up some other way.
    /// </summary>
    CommittedResponseLost = 5,
}
