namespace AbortLab.Idempotency;

/// <summary>
/// The idempotency key of the current request, on <c>HttpContext.Features</c> for endpoints marked
/// <c>WithIdempotency()</c>.
/// </summary>
public interface IIdempotencyFeature
{
    /// <summary>Gets the request's key.</summary>
    string Key { get; }

    /// <summary>
    /// Gets the id of this attempt's claim on the key, for a store command run in the side effect's own transaction
    /// (<see cref="SqliteIdempotencyStore.CreateMarkCommittedCommand"/>).
    /// </summary>
    string Owner { get; }

    /// <summary>Gets a value that tells whether <see cref="MarkCommitted"/> was called.</summary>
    bool IsCommitted { get; }

    /// <summary>
    /// Declares the side effect durable (call it right after the commit). If the request is aborted before, the key is
    /// released and a retry runs again; after, what the request produces is stored and replayed to retries. From this
    /// call on, the store knows the key committed (a retry after a crash is told so, never run again), and <c>HttpContext.RequestAborted</c> no longer fires for a client that leaves (the response is still
    /// wanted, by the retry), only after a 30-second deadline; the abort scope (if AbortLab runs) still reports the abort.
    /// </summary>
    void MarkCommitted();
}
