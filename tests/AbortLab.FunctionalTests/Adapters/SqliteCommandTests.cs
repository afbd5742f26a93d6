using System.Data.Common;
using AbortLab.Hosting;
using AbortLab.Telemetry;
using AbortLab.Testing;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;

namespace AbortLab.FunctionalTests.Adapters;

public sealed class SqliteCommandTests : IDisposable
{
    private static readonly MiddlewareHarness Services = new(timeProvider: TimeProvider.System);

    // Counts to two billion: minutes of work for SQLite, unless interrupted. running() tells the test, from inside
    // the executing query, that it has started.
    private const string LongQuery = "WITH RECURSIVE c(x) AS (SELECT running() UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c";

    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"abortlab-tests-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task LongQuery_IsInterruptedWhenTheClientLeaves()
    {
        var started = new Signal<string>();
        var failure = new Signal<Exception>();
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapGet("/db", async (HttpContext context) =>
            {
                var scope = context.GetAbortScope();
                await using var connection = new SqliteConnection($"Data Source={_databasePath}");
                await connection.OpenAsync(context.RequestAborted);
                connection.CreateFunction("running", () =>
                {
                    started.Set(scope.RequestId);
                    return 1L;
                });
                await using var command = connection.CreateCommand();
                command.CommandText = LongQuery;
                try
                {
                    return (long)(await scope.ExecuteScalarAsync(command, InterruptSqlite))!;
                }
                catch (Exception exception)
                {
                    failure.Set(exception);
                    throw;
                }
            });
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /db HTTP/1.1\r\nHost: test\r\n\r\n");
        var id = await started.WaitAsync();
        client.CloseWithFin();

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null);
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Equal(WorkOutcome.Canceled, timeline.Work.Single().Outcome);
        Assert.StartsWith("db WITH RECURSIVE", timeline.Work.Single().Name, StringComparison.Ordinal);
        Assert.Equal(499, timeline.StatusCode);

        // The provider's "interrupted" error came out as a cancellation.
        var exception = Assert.IsType<OperationCanceledException>(await failure.WaitAsync());
        Assert.Equal(9, Assert.IsType<SqliteException>(exception.InnerException).SqliteErrorCode);
    }

    [Fact]
    public async Task QueryThatCompletes_ReturnsItsValue()
    {
        await using var connection = new SqliteConnection($"Data Source={_databasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 40 + 2";
        var scope = NewScope();

        Assert.Equal(42L, await scope.ExecuteScalarAsync(command, InterruptSqlite));
        command.CommandText = "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)";
        Assert.Equal(2, await scope.ExecuteNonQueryAsync(command, InterruptSqlite));
        command.CommandText = "SELECT x FROM t ORDER BY x";
        var rows = await scope.ExecuteReaderAsync(command, async (reader, token) =>
        {
            var values = new List<long>();
            while (await reader.ReadAsync(token))
            {
                values.Add(reader.GetInt64(0));
            }

            return values;
        }, InterruptSqlite);
        Assert.Equal([1L, 2L], rows);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        File.Delete(_databasePath);
    }

    private static void InterruptSqlite(DbCommand command) => SQLitePCL.raw.sqlite3_interrupt(((SqliteConnection)command.Connection!).Handle);

    private static AbortScope NewScope() =>
        Services.NewScope();
}
