using System.Data.Common;
using System.Globalization;

namespace AbortLab;

/// <summary>
/// An <see cref="IIdempotencyStore"/> in a SQLite database, safe for several processes sharing the file: each
/// operation is one statement, which SQLite runs atomically under its file lock (a busy database is waited for up to
/// five seconds, then reported). It speaks plain ADO.NET, so AbortLab needs no SQLite package: pass the connection,
/// for example <c>new SqliteIdempotencyStore(() =&gt; new SqliteConnection("Data Source=idempotency.db"))</c>.
/// </summary>
public sealed class SqliteIdempotencyStore : IIdempotencyStore
{
    private readonly Func<DbConnection> _connectionFactory;
    private readonly TimeProvider _timeProvider;
    private int _schemaReady;

    /// <summary>
    /// Creates the store.
    /// </summary>
    /// <param name="connectionFactory">Makes a new, closed connection to the SQLite database.</param>
    /// <param name="timeProvider">The clock for expiry; the system's by default.</param>
    public SqliteIdempotencyStore(Func<DbConnection> connectionFactory, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(connectionFactory);
        _connectionFactory = connectionFactory;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public async ValueTask<IdempotencyClaim> ClaimAsync(string key, string fingerprint, TimeSpan expiry, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

        // One statement: insert the claim, or take over an expired one. Nothing else can slip in between.
        var claimed = await ExecuteAsync(
            connection,
            """
            INSERT INTO abortlab_idempotency (key, fingerprint, expires_at, status_code, content_type, body)
            VALUES ($key, $fingerprint, $expires, NULL, NULL, NULL)
            ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, expires_at = excluded.expires_at,
                status_code = NULL, content_type = NULL, body = NULL
            WHERE abortlab_idempotency.expires_at <= $now
            """,
            cancellationToken,
            ("$key", key),
            ("$fingerprint", fingerprint),
            ("$expires", now + (long)expiry.TotalMilliseconds),
            ("$now", now));
        if (claimed == 1)
        {
            return new IdempotencyClaim(IdempotencyClaimStatus.Claimed);
        }

        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT fingerprint, status_code, content_type, body FROM abortlab_idempotency WHERE key = $key";
        AddParameter(command, "$key", key);
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

        return reader.IsDBNull(1)
            ? new IdempotencyClaim(IdempotencyClaimStatus.InProgress)
            : new IdempotencyClaim(
                IdempotencyClaimStatus.Completed,
                new StoredResponse(reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), (byte[])reader.GetValue(3)));
    }

    /// <inheritdoc/>
    public async ValueTask CompleteAsync(string key, StoredResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            "UPDATE abortlab_idempotency SET status_code = $status, content_type = $type, body = $body WHERE key = $key",
            cancellationToken,
            ("$status", response.StatusCode),
            ("$type", response.ContentType),
            ("$body", response.Body),
            ("$key", key));
    }

    /// <inheritdoc/>
    public async ValueTask ReleaseAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, "DELETE FROM abortlab_idempotency WHERE key = $key AND status_code IS NULL", cancellationToken, ("$key", key));
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = _connectionFactory();
        try
        {
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, "PRAGMA busy_timeout = 5000", cancellationToken);
            if (Volatile.Read(ref _schemaReady) == 0)
            {
                await ExecuteAsync(
                    connection,
                    """
                    CREATE TABLE IF NOT EXISTS abortlab_idempotency (
                        key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, expires_at INTEGER NOT NULL,
                        status_code INTEGER NULL, content_type TEXT NULL, body BLOB NULL)
                    """,
                    cancellationToken);
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
