using System.Data.Common;
using System.Globalization;

namespace AbortLab.Idempotency;

/// <summary>
/// The SQL stores' one implementation, in plain ADO.NET: each operation is one statement, atomic in the database
/// (SQLite under its file lock, PostgreSQL under the key's row lock), so processes on several machines sharing the
/// database run each key once. The dialects differ only in the schema, the purge and SQLite's busy timeout.
/// </summary>
internal sealed class AdoNetIdempotencyStore : IIdempotencyStore
{
    private readonly Func<DbConnection> _connectionFactory;
    private readonly TimeProvider _timeProvider;
    private readonly bool _postgres;
    private int _schemaReady;

    public AdoNetIdempotencyStore(Func<DbConnection> connectionFactory, TimeProvider? timeProvider, bool postgres)
    {
        ArgumentNullException.ThrowIfNull(connectionFactory);
        _connectionFactory = connectionFactory;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _postgres = postgres;
    }

    /// <inheritdoc/>
    public async ValueTask<IdempotencyClaim> ClaimAsync(string key, string fingerprint, string owner, TimeSpan expiry, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

        // One statement: insert the claim, or take over an expired key, or the same request's key whose owner's lease
        // ran out before it committed. Nothing else can slip in between.
        var claimed = await ExecuteAsync(
            connection,
            """
            INSERT INTO abortlab_idempotency (key, fingerprint, owner, expires_at, lease_until, committed, status_code, content_type, body)
            VALUES (@key, @fingerprint, @owner, @expires, @lease, 0, NULL, NULL, NULL)
            ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, owner = excluded.owner, expires_at = excluded.expires_at,
                lease_until = excluded.lease_until, committed = 0, status_code = NULL, content_type = NULL, body = NULL
            WHERE abortlab_idempotency.expires_at <= @now
               OR (abortlab_idempotency.status_code IS NULL AND abortlab_idempotency.committed = 0
                   AND abortlab_idempotency.lease_until <= @now AND abortlab_idempotency.fingerprint = excluded.fingerprint)
            """,
            cancellationToken,
            ("@key", key),
            ("@fingerprint", fingerprint),
            ("@owner", owner),
            ("@expires", now + (long)expiry.TotalMilliseconds),
            ("@lease", now + (long)lease.TotalMilliseconds),
            ("@now", now));
        if (claimed == 1)
        {
            return new IdempotencyClaim(IdempotencyClaimStatus.Claimed);
        }

        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT fingerprint, status_code, content_type, body, committed, lease_until FROM abortlab_idempotency WHERE key = @key";
        AddParameter(command, "@key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            // Released between the two statements: the caller may try again.
            return new IdempotencyClaim(IdempotencyClaimStatus.InProgress);
        }

        if (reader.GetString(0) != fingerprint)
        {
            return new IdempotencyClaim(IdempotencyClaimStatus.FingerprintMismatch);
        }

        if (!reader.IsDBNull(1))
        {
            return new IdempotencyClaim(
                IdempotencyClaimStatus.Completed,
                new StoredResponse(reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), (byte[])reader.GetValue(3)));
        }

        // Committed, and its owner's lease is over: the owner died between its commit and its response.
        return reader.GetInt64(4) == 1 && reader.GetInt64(5) <= now
            ? new IdempotencyClaim(IdempotencyClaimStatus.CommittedResponseLost)
            : new IdempotencyClaim(IdempotencyClaimStatus.InProgress);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> RenewAsync(string key, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        return await ExecuteAsync(
            connection,
            "UPDATE abortlab_idempotency SET lease_until = @lease WHERE key = @key AND owner = @owner AND status_code IS NULL",
            cancellationToken,
            ("@lease", now + (long)lease.TotalMilliseconds),
            ("@key", key),
            ("@owner", owner)) == 1;
    }

    /// <inheritdoc/>
    public async ValueTask MarkCommittedAsync(string key, string owner, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = CreateMarkCommittedCommand(connection, key, owner);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The command that marks <paramref name="key"/> committed, for the side effect's own transaction.</summary>
    public static DbCommand CreateMarkCommittedCommand(DbConnection connection, string key, string owner)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(owner);
        var command = connection.CreateCommand();
        command.CommandText = "UPDATE abortlab_idempotency SET committed = 1 WHERE key = @key AND owner = @owner";
        AddParameter(command, "@key", key);
        AddParameter(command, "@owner", owner);
        return command;
    }

    /// <inheritdoc/>
    public async ValueTask CompleteAsync(string key, string owner, StoredResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            "UPDATE abortlab_idempotency SET committed = 1, status_code = @status, content_type = @type, body = @body WHERE key = @key AND owner = @owner",
            cancellationToken,
            ("@status", response.StatusCode),
            ("@type", response.ContentType),
            ("@body", response.Body),
            ("@key", key),
            ("@owner", owner));
    }

    /// <inheritdoc/>
    public async ValueTask ReleaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            "DELETE FROM abortlab_idempotency WHERE key = @key AND owner = @owner AND status_code IS NULL AND committed = 0",
            cancellationToken,
            ("@key", key),
            ("@owner", owner));
    }

    /// <inheritdoc/>
    public async ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var purged = 0;
        int deleted;
        do
        {
            // In slices, so a large purge never holds the write lock for long.
            deleted = await ExecuteAsync(
                connection,
                _postgres
                    ? "DELETE FROM abortlab_idempotency WHERE key IN (SELECT key FROM abortlab_idempotency WHERE expires_at <= @now LIMIT 1000)"
                    : "DELETE FROM abortlab_idempotency WHERE rowid IN (SELECT rowid FROM abortlab_idempotency WHERE expires_at <= @now LIMIT 1000)",
                cancellationToken,
                ("@now", now));
            purged += deleted;
        }
        while (deleted == 1000);

        return purged;
    }

    private const string SqliteSchema = """
        CREATE TABLE IF NOT EXISTS abortlab_idempotency (
            key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, owner TEXT NOT NULL, expires_at INTEGER NOT NULL,
            lease_until INTEGER NOT NULL, committed INTEGER NOT NULL, status_code INTEGER NULL, content_type TEXT NULL, body BLOB NULL);
        CREATE INDEX IF NOT EXISTS abortlab_idempotency_expires ON abortlab_idempotency (expires_at);
        """;

    // Times are Unix milliseconds (BIGINT), as in SQLite; committed is 0 or 1, read as a long by both. CREATE TABLE IF
    // NOT EXISTS is not safe against itself in PostgreSQL (two sessions can both try, and one fails on pg_type's
    // unique index): one transaction-scoped advisory lock makes every process create the table in turn.
    private const string PostgresSchema = """
        DO $$
        BEGIN
            PERFORM pg_advisory_xact_lock(7231700117);
            CREATE TABLE IF NOT EXISTS abortlab_idempotency (
                key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, owner TEXT NOT NULL, expires_at BIGINT NOT NULL,
                lease_until BIGINT NOT NULL, committed BIGINT NOT NULL, status_code INTEGER NULL, content_type TEXT NULL, body BYTEA NULL);
            CREATE INDEX IF NOT EXISTS abortlab_idempotency_expires ON abortlab_idempotency (expires_at);
        END
        $$;
        """;

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = _connectionFactory();
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (!_postgres)
            {
                await ExecuteAsync(connection, "PRAGMA busy_timeout = 5000", cancellationToken);
            }

            if (Volatile.Read(ref _schemaReady) == 0)
            {
                await ExecuteAsync(connection, _postgres ? PostgresSchema : SqliteSchema, cancellationToken);
                if (!_postgres)
                {
                    await UpgradeSchemaAsync(connection, cancellationToken);
                }

                Volatile.Write(ref _schemaReady, 1);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A table made before claims were leases gets the lease columns; its in-flight claims count as expired leases.</summary>
    private static async Task UpgradeSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT name FROM pragma_table_info('abortlab_idempotency')";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                columns.Add(reader.GetString(0));
            }
        }

        foreach (var (column, definition) in new[] { ("owner", "TEXT NOT NULL DEFAULT ''"), ("lease_until", "INTEGER NOT NULL DEFAULT 0"), ("committed", "INTEGER NOT NULL DEFAULT 0") })
        {
            if (!columns.Contains(column))
            {
                await ExecuteAsync(connection, $"ALTER TABLE abortlab_idempotency ADD COLUMN {column} {definition}", cancellationToken);
            }
        }
    }

    private static async Task<int> ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            AddParameter(command, name, value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddParameter(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value switch
        {
            null => DBNull.Value,
            long or int or string or byte[] => value,
            _ => Convert.ToString(value, CultureInfo.InvariantCulture),
        };
        command.Parameters.Add(parameter);
    }
}
