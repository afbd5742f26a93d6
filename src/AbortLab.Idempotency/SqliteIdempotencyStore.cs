using System.Data.Common;

namespace AbortLab.Idempotency;

/// <summary>
/// An <see cref="IIdempotencyStore"/> in a SQLite database, safe for several processes sharing the file: each
/// operation is one statement, which SQLite runs atomically under its file lock (a busy database is waited for up to
/// five seconds, then reported). It speaks plain ADO.NET, so AbortLab needs no SQLite package: pass the connection,
/// for example <c>new SqliteIdempotencyStore(() =&gt; new SqliteConnection("Data Source=idempotency.db"))</c>.
/// A claim is a lease (<see cref="IdempotencyOptions.Lease"/>); the table is <c>abortlab_idempotency</c>.
/// </summary>
public sealed class SqliteIdempotencyStore : IIdempotencyStore
{
    private readonly AdoNetIdempotencyStore _store;

    /// <summary>
    /// Creates the store.
    /// </summary>
    /// <param name="connectionFactory">Makes a new, closed connection to the SQLite database.</param>
    /// <param name="timeProvider">The clock for expiry; the system's by default.</param>
    public SqliteIdempotencyStore(Func<DbConnection> connectionFactory, TimeProvider? timeProvider = null)
    {
        _store = new AdoNetIdempotencyStore(connectionFactory, timeProvider, postgres: false);
    }

    /// <summary>
    /// Makes the command that marks <paramref name="key"/> committed, to run in the side effect's own transaction when
    /// it lives in the same SQLite database: the mark and the side effect are then durable together, so no crash can
    /// leave a committed side effect whose key a retry would run again.
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
