namespace AbortLab.Idempotency;

/// <summary>
/// An <see cref="IIdempotencyStore"/> in this process's memory: right for a single process; several processes need
/// a shared store such as <see cref="SqliteIdempotencyStore"/>.
/// </summary>
internal sealed class InMemoryIdempotencyStore(TimeProvider timeProvider) : IIdempotencyStore
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public ValueTask<IdempotencyClaim> ClaimAsync(string key, string fingerprint, string owner, TimeSpan expiry, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var entry) && entry.ExpiresAt > now)
            {
                if (entry.Fingerprint != fingerprint)
                {
                    return ValueTask.FromResult(new IdempotencyClaim(IdempotencyClaimStatus.FingerprintMismatch));
                }

                if (entry.Response is { } response)
                {
                    return ValueTask.FromResult(new IdempotencyClaim(IdempotencyClaimStatus.Completed, response));
                }

                if (entry.LeaseUntil > now)
                {
                    return ValueTask.FromResult(new IdempotencyClaim(IdempotencyClaimStatus.InProgress));
                }

                if (entry.Committed)
                {
                    return ValueTask.FromResult(new IdempotencyClaim(IdempotencyClaimStatus.CommittedResponseLost));
                }
            }

            _entries[key] = new Entry(fingerprint, owner, now + expiry, now + lease, false, null);
            return ValueTask.FromResult(new IdempotencyClaim(IdempotencyClaimStatus.Claimed));
        }
    }

    public ValueTask<bool> RenewAsync(string key, string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Update(key, owner, entry => entry.Response is null ? entry with { LeaseUntil = timeProvider.GetUtcNow() + lease } : null));

    public ValueTask MarkCommittedAsync(string key, string owner, CancellationToken cancellationToken)
    {
        Update(key, owner, static entry => entry with { Committed = true });
        return ValueTask.CompletedTask;
    }

    public ValueTask CompleteAsync(string key, string owner, StoredResponse response, CancellationToken cancellationToken)
    {
        Update(key, owner, entry => entry with { Committed = true, Response = response });
        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var entry) && entry.Owner == owner && entry.Response is null && !entry.Committed)
            {
                _entries.Remove(key);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        lock (_entries)
        {
            var expired = _entries.Where(e => e.Value.ExpiresAt <= now).Select(e => e.Key).ToList();
            foreach (var key in expired)
            {
                _entries.Remove(key);
            }

            return ValueTask.FromResult(expired.Count);
        }
    }

    private bool Update(string key, string owner, Func<Entry, Entry?> change)
    {
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out var entry) || entry.Owner != owner || change(entry) is not { } changed)
            {
                return false;
            }

            _entries[key] = changed;
            return true;
        }
    }

    private sealed record Entry(string Fingerprint, string Owner, DateTimeOffset ExpiresAt, DateTimeOffset LeaseUntil, bool Committed, StoredResponse? Response);
}
