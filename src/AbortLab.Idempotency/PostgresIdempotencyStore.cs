using System.Data.Common;

namespace AbortLab.Idempotency;

/// <summary>
/// An <see cref="IIdempotencyStore"/> in a PostgreSQL database, so that processes on different machines sharing one
/// database run each key once: each operation is one statement (a claim is one <c>INSERT … ON CONFLICT … DO
/// UPDATE … WHERE</c>), atomic under the key's row lock. It speaks plain ADO.NET, so AbortLab needs no PostgreSQL
/// package: pass the connection, for example
/// <c>new PostgresIdempotencyStore(() =&gt; dataSource.CreateConnection())</c> with an Npgsql data source.
/// A claim is a lease (<see cref="IdempotencyOptions.Lease"/>); the table is <c>abortlab_idempotency</c>.
/// </summary>
public sealed class PostgresIdempotencyStore : IIdempotencyStore
{
    private readonly AdoNetIdempotencyStore _store;

    /// <summary>
    /// Creates the store.
    /// </summary>
    /// <param name="connectionFactory">Makes a new, closed connection to the PostgreSQL database.</param>
    /// <param name="timeProvider">The clock for expiry; the system's by default. Processes sharing a store should
    /// keep their clocks in step: leases and expiry are times written by one machine and read by the others.</param>
    public PostgresIdempotencyStore(Func<DbConnection> connectionFactory, TimeProvider? timeProvider = null)
    {
        _store = new AdoNetIdempotencyStore(connectionFactory, timeProvider, postgres: true);
    }

    /// <summary>
    /// Makes the command that marks <paramref name="key"/> committed, to run in the side effect's own transaction when
    /// it lives in the same PostgreSQL database: the mark and the side effect are then durable together, so no crash
    /// can leave a committed side effect whose key a retry would run again.
    /// </summary>
    /// <param name="connection">An open connection to the store's database.</param>
    /// <param name="key">The idempotency key (<see cref="IIdempotencyFeature.Key"/>).</param>
    /// <param name="owner">The owner (<see cref="IIdempotencyFeature.Owner"/>).</param>
    /// <returns>
    /// The command; set its transaction, run it, and dispose of it. It changes one row while <paramref name="owner"/> still
    /// holds the key, none once another request took the key over (this attempt stalled past its lease): then roll the
    /// transaction back, or the side effect runs twice.
    /// </returns>
    public static DbCommand CreateMarkCommittedCommand(DbConnection connection, string key, string owner) =>
        AdoNetIdempotencyStore.CreateMarkCommittedCommand(connection, key, owner);

    /// <inheritdoc/>
    public ValueTask<IdempotencyClaim> ClaimAsync(string key, string fingerprint, string owner, TimeSpan expiry, TimeSpan lease, CancellationToken cancellationToken) =>
        _store.ClaimAsync(key, fingerprint, owner, expiry, lease, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<bool> RenewAsync(string key, string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        _store.RenewAsync(key, owner, lease, cancellationToken);

    /// <inheritdoc/>
    public ValueTask MarkCommittedAsync(string key, string owner, CancellationToken cancellationToken) =>
        _store.MarkCommittedAsync(key, owner, cancellationToken);

    /// <inheritdoc/>
    public ValueTask CompleteAsync(string key, string owner, StoredResponse response, CancellationToken cancellationToken) =>
        _store.CompleteAsync(key, owner, response, cancellationToken);

    /// <inheritdoc/>
    public ValueTask ReleaseAsync(string key, string owner, CancellationToken cancellationToken) =>
        _store.ReleaseAsync(key, owner, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken) =>
        _store.PurgeExpiredAsync(cancellationToken);
}
