namespace AbortLab;

/// <summary>
/// An <see cref="IIdempotencyStore"/> in this process's memory: right for a single process; several processes need
/// a shared store such as <see cref="SqliteIdempotencyStore"/>.
/// </summary>
internal sealed class InMemoryIdempotencyStore(TimeProvider timeProvider) : IIdempotencyStore
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public ValueTask<IdempotencyClaim> ClaimAsync(string key, string fingerprint, TimeSpan expiry, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var entry) && entry.ExpiresAt > now)
            {
                return ValueTask.FromResult(
                    entry.Fingerprint != fingerprint ? new IdempotencyClaim(IdempotencyClaimStatus.FingerprintMismatch)
                    : entry.Response is { } response ? new IdempotencyClaim(IdempotencyClaimStatus.Completed, response)
                    : new IdempotencyClaim(IdempotencyClaimStatus.InProgress));
            }

            _entries[key] = new Entry(fingerprint, now + expiry, null);
            return ValueTask.FromResult(new IdempotencyClaim(IdempotencyClaimStatus.Claimed));
        }
    }

    public ValueTask CompleteAsync(string key, StoredResponse response, CancellationToken cancellationToken)
    {
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                _entries[key] = entry with { Response = response };
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseAsync(string key, CancellationToken cancellationToken)
    {
        lock (_entries)
        {
            _entries.Remove(key);
        }

        return ValueTask.CompletedTask;
    }

    private sealed record Entry(string Fingerprint, DateTimeOffset ExpiresAt, StoredResponse? Response);
}
