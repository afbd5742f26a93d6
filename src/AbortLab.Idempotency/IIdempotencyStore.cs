namespace AbortLab.Idempotency;

/// <summary>
/// Where idempotency keys are claimed, completed and released. Every operation must be atomic across all the
/// processes that share the store: that is what keeps a side effect from running twice. The middleware depends on
/// this interface only, so a distributed store (Redis, PostgreSQL) can replace the built-in ones.
/// </summary>
/// <remarks>
/// A claim is a lease held by one <c>owner</c> (an id the middleware makes per attempt) and renewed while its request
/// runs. If the owner dies (a crash, <c>kill -9</c>), its lease runs out and a retry of the same request may claim the
/// key again, unless the owner had marked its side effect committed: such a key is never run again, its retries get
/// <see cref="IdempotencyClaimStatus.CommittedResponseLost"/>.
/// </remarks>
public interface IIdempotencyStore
{
    /// <summary>
    /// Claims <paramref name="key"/> for an attempt whose request has <paramref name="fingerprint"/>, unless another
    /// attempt holds or completed it. An expired key counts as free, and so does a key whose owner's lease ran out
    /// before it committed, if the request is the same.
    /// </summary>
    /// <param name="key">The idempotency key.</param>
    /// <param name="fingerprint">A hash of the request (method, target, body).</param>
    /// <param name="owner">Who claims: unique per attempt.</param>
    /// <param name="expiry">How long the key is kept.</param>
    /// <param name="lease">How long the claim holds without being renewed.</param>
    /// <param name="cancellationToken">Stops the operation.</param>
    /// <returns>The outcome.</returns>
    ValueTask<IdempotencyClaim> ClaimAsync(string key, string fingerprint, string owner, TimeSpan expiry, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Extends the lease of <paramref name="owner"/> on <paramref name="key"/>.</summary>
    /// <param name="key">The idempotency key.</param>
    /// <param name="owner">The owner that claimed it.</param>
    /// <param name="lease">How long from now the claim holds.</param>
    /// <param name="cancellationToken">Stops the operation.</param>
    /// <returns><see langword="false"/> if the owner no longer holds the key.</returns>
    ValueTask<bool> RenewAsync(string key, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Records that the side effect of <paramref name="owner"/>'s attempt committed: from now on the key is never run
    /// again, even if the owner dies before <see cref="CompleteAsync"/>.
    /// </summary>
    /// <param name="key">The idempotency key.</param>
    /// <param name="owner">The owner that claimed it.</param>
    /// <param name="cancellationToken">Stops the operation.</param>
    /// <returns>A task that completes when the mark is durable.</returns>
    ValueTask MarkCommittedAsync(string key, string owner, CancellationToken cancellationToken);

    /// <summary>
    /// Records the response of the attempt that holds <paramref name="key"/>; later attempts replay it.
    /// </summary>
    /// <param name="key">The idempotency key.</param>
    /// <param name="owner">The owner that claimed it.</param>
    /// <param name="response">The response to replay.</param>
    /// <param name="cancellationToken">Stops the operation.</param>
    /// <returns>A task that completes when the response is stored.</returns>
    ValueTask CompleteAsync(string key, string owner, StoredResponse response, CancellationToken cancellationToken);

    /// <summary>
    /// Frees <paramref name="key"/>: its attempt ended before its side effect committed, so a retry must run again.
    /// </summary>
    /// <param name="key">The idempotency key.</param>
    /// <param name="owner">The owner that claimed it.</param>
    /// <param name="cancellationToken">Stops the operation.</param>
    /// <returns>A task that completes when the key is free.</returns>
    ValueTask ReleaseAsync(string key, string owner, CancellationToken cancellationToken);

    /// <summary>Deletes the keys whose expiry has passed, so the store stays bounded.</summary>
    /// <param name="cancellationToken">Stops the operation.</param>
    /// <returns>How many keys were deleted.</returns>
    ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken);
}
