using System.Data.Common;
using AbortLab.Idempotency;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AbortLab.Lab;

/// <summary>
/// The lab's database (orders, idempotency keys, the database scenarios): the SQLite file in the data folder, or the
/// PostgreSQL server of <c>Lab:Postgres:ConnectionString</c>. Checked and made ready before any hop starts, so an
/// unusable database stops the lab with a clear message instead of failing its requests.
/// </summary>
internal sealed class LabDatabase
{
    // Any number that no other AbortLab schema uses: every lab process sharing the server creates the table in turn.
    private const long SchemaLock = 7231700118;

    private readonly string _connectionString;

    private LabDatabase(string connectionString, bool isPostgres, string description)
    {
        _connectionString = connectionString;
        IsPostgres = isPostgres;
        Description = description;
    }

    public bool IsPostgres { get; }

    /// <summary>Where the data lives, for the start-up banner and messages (no password).</summary>
    public string Description { get; }

    /// <summary>The provider's connection string (for the EF Core context).</summary>
    public string ConnectionString => _connectionString;

    public static string PathFor(LabOptions options) => System.IO.Path.Combine(options.DataDirectory ?? System.IO.Path.GetTempPath(), "abortlab-lab.db");

    /// <summary>Opens the database, checks it, and creates the lab's tables.</summary>
    /// <exception cref="LabDatabaseException">The database cannot be used.</exception>
    public static LabDatabase Prepare(LabOptions options)
    {
        if (options.Postgres.ConnectionString is { } postgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(postgres);
            var database = new LabDatabase(postgres, isPostgres: true, $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}");
            database.PreparePostgres();
            return database;
        }

        var path = PathFor(options);
        var file = new LabDatabase($"Data Source={path}", isPostgres: false, $"SQLite {path}");
        file.PrepareSqlite(path);
        return file;
    }

    public DbConnection CreateConnection() => IsPostgres ? new NpgsqlConnection(_connectionString) : new SqliteConnection(_connectionString);

    public IIdempotencyStore CreateIdempotencyStore() =>
        IsPostgres ? new PostgresIdempotencyStore(CreateConnection) : new SqliteIdempotencyStore(CreateConnection);

    /// <summary>The command that marks a key committed, in the order's own transaction (same database).</summary>
    public DbCommand CreateMarkCommittedCommand(DbConnection connection, string key, string owner) =>
        IsPostgres
            ? PostgresIdempotencyStore.CreateMarkCommittedCommand(connection, key, owner)
            : SqliteIdempotencyStore.CreateMarkCommittedCommand(connection, key, owner);

    private void PreparePostgres()
    {
        try
        {
            using var connection = new NpgsqlConnection(_connectionString);
            connection.Open();
            using var create = connection.CreateCommand();

            // CREATE TABLE IF NOT EXISTS races with itself on PostgreSQL (pg_type's unique index): lab processes
            // starting together against one server take a transaction-scoped advisory lock first.
            create.CommandText = $"""
                DO $$
                BEGIN
                    PERFORM pg_advisory_xact_lock({SchemaLock});
                    CREATE TABLE IF NOT EXISTS lab_orders (id BIGSERIAL PRIMARY KEY, idempotency_key TEXT NULL, process INTEGER NOT NULL);
                END
                $$;
                """;
            create.ExecuteNonQuery();
        }
        catch (Exception exception) when (exception is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new LabDatabaseException(
                $"The lab's database ({Description}) cannot be used: {exception.Message}. Check Lab:Postgres:ConnectionString, or remove it to use the embedded SQLite file.",
                exception);
        }
    }

    private void PrepareSqlite(string path)
    {
        try
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA quick_check";
            var result = check.ExecuteScalar() as string;
            if (!string.Equals(result, "ok", StringComparison.Ordinal))
            {
                throw LabDatabaseException.ForFile(path, $"its integrity check answered '{result}'");
            }

            using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE IF NOT EXISTS lab_orders (id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT NULL, process INTEGER NOT NULL)";
            create.ExecuteNonQuery();
        }
        catch (SqliteException exception)
        {
            throw LabDatabaseException.ForFile(path, exception.Message, exception);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }
}
