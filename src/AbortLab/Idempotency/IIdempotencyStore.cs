namespace AbortLab;

/// <summary>
/// Where idempotency keys are claimed, completed and released. Every operation must be atomic across all the
/// processes that share the store: that is what keeps a side effect from running twice. The middleware depends on
/// this interface only, so a distributed store (Redis, PostgreSQL) can replace the built-in ones.
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>
    /// Claims <paramref name="key"/> for an attempt whose request has <paramref name="fingerprint"/>, unless another
    /// attempt holds or completed it. An expired key counts as free.
    /// </summary>
    /// <param name="key">The idempotency key.</param>
    /// <param name="fingerprint">A hash of the request (method, target, body).</param>
    /// <param name="expiry">How long the key is kept.</param>
    /// <param name="cancellationToken">Stops the operation.</param>
    /// <returns>The outcome.</returns>
    ValueTask<IdempotencyClaim> ClaimAsync(string key, string fingerprint, TimeSpan expiry, CancellationToken cancellationToken);

    /// <summary>
    /// Records the response of the attempt that holds <paramref name="key"/>; later attempts replay it.
    /// </summary>
    /// <param name="key">The idempotency key.</param>
    /// <param name="response">The response to replay.</param>
    /// <param name="cancellationToken">Stops the operation.</param>
    /// <returns>A task that completes when the response is stored.</returns>
    ValueTask CompleteAsync(string key, StoredResponse response, CancellationToken cancellationToken);

    /// <summary>
    /// Frees <paramref name="key"/>: its attempt ended before its side effect committed, so a retry must run again.
    /// </summary>
    /// <param name="key">The idempotency key.</param>
    /// <param name="cancellationToken">Stops the operation.</param>
    /// <returns>A task that completes when the key is free.</returns>
    ValueTask ReleaseAsync(string key, CancellationToken cancellationToken);
}
