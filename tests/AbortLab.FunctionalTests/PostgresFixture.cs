using AbortLab.Testing;
using Npgsql;

namespace AbortLab.FunctionalTests;

/// <summary>One real PostgreSQL server for the class's tests, started with initdb and pg_ctl, stopped after.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    internal PostgresServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A database of the test's own, so that tests of one class do not see each other's rows.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"shop_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(Server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(Server.ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Ends the backends of <paramref name="database"/> running a statement that contains <paramref name="text"/>.</summary>
    public Task TerminateAsync(string database, string text) => ForBackendsAsync("count(pg_terminate_backend(pid))", database, text);

    /// <summary>The backends of <paramref name="database"/> running a statement that contains <paramref name="text"/>, as PostgreSQL sees them.</summary>
    public Task<int> CountActiveAsync(string database, string text) => ForBackendsAsync("count(*)", database, text, "AND state = 'active'");

    private async Task<int> ForBackendsAsync(string select, string database, string text, string condition = "")
    {
        await using var connection = new NpgsqlConnection(Server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT {select} FROM pg_stat_activity WHERE datname = @database {condition} AND query LIKE @text AND pid <> pg_backend_pid()",
            connection);
        command.Parameters.AddWithValue("database", new NpgsqlConnectionStringBuilder(database).Database!);
        command.Parameters.AddWithValue("text", $"%{text}%");
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
