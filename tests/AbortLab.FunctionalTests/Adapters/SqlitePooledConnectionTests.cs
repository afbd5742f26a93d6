using System.Data.Common;
using AbortLab.Testing;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace AbortLab.FunctionalTests.Adapters;

/// <summary>
/// Two requests that share one pooled SQLite connection, the first aborted: whatever stops the first request's
/// statement must never reach the second's. <c>sqlite3_interrupt</c> acts on the connection, not on a statement, so an
/// interrupt that arrives late stops whatever the connection runs by then; AbortLab calls it only while the aborted
/// command runs, and not once after the command returns.
/// </summary>
public sealed class SqlitePooledConnectionTests : IDisposable
{
    private static readonly MiddlewareHarness Services = new(timeProvider: TimeProvider.System);

    // Counts to two billion: minutes of work unless interrupted; running() tells the test the statement started.
    private const string LongQuery = "WITH RECURSIVE c(x) AS (SELECT running() UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c";

    // A statement that runs for a while (a few hundred ms on this machine), long enough to span many interrupt ticks.
    private const string SecondRequestsQuery = "WITH RECURSIVE c(x) AS (SELECT running() UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) FROM c";

    private readonly string _connectionString = $"Data Source={Path.Combine(Path.GetTempPath(), $"abortlab-pool-{Guid.NewGuid():N}.db")};Pooling=True";

    [Fact]
    public async Task AbortedRequestsInterrupt_NeverStopsTheNextRequestOnTheSamePooledConnection()
    {
        var interruptsAfterReturn = 0;
        var firstReturned = false;
        sqlite3 firstHandle;

        // The first request: its long statement is aborted, and its interrupt is counted once the command returned.
        var first = Services.NewScope();
        await using (var connection = Open(out var running))
        {
            firstHandle = connection.Handle!;
            await using var command = connection.CreateCommand();
            command.CommandText = LongQuery;
            var query = Task.Run(() => first.ExecuteScalarAsync(command, c =>
            {
                if (Volatile.Read(ref firstReturned))
                {
                    Interlocked.Increment(ref interruptsAfterReturn);
                }

                raw.sqlite3_interrupt(((SqliteConnection)c.Connection!).Handle);
            }));
            await running.WaitAsync();
            first.Abort(AbortReason.ClientDisconnected);
            await Assert.ThrowsAsync<OperationCanceledException>(() => query);
            Volatile.Write(ref firstReturned, true);
        }

        // The second request takes the same pooled connection while the first one's token stays cancelled.
        var second = Services.NewScope();
        await using (var connection = Open(out _))
        {
            Assert.Same(firstHandle, connection.Handle);
            await using var command = connection.CreateCommand();
            command.CommandText = SecondRequestsQuery;

            Assert.Equal(3_000_000L, await Task.Run(() => second.ExecuteScalarAsync(command, static c => raw.sqlite3_interrupt(((SqliteConnection)c.Connection!).Handle))));
        }

        Assert.Equal(0, Volatile.Read(ref interruptsAfterReturn));
        Assert.True(first.IsAborted);
        Assert.False(second.IsAborted);
    }

    [Fact]
    public async Task AnInterruptThatArrivesLate_StopsWhateverThePooledConnectionRunsThen()
    {
        // What the rule guards against: the first request's connection handle, interrupted once the second request's
        // statement runs on it, stops the second request, which was never aborted.
        sqlite3 firstHandle;
        await using (var connection = Open(out _))
        {
            firstHandle = connection.Handle!;
        }

        await using (var connection = Open(out var running))
        {
            Assert.Same(firstHandle, connection.Handle);
            await using var command = connection.CreateCommand();
            command.CommandText = LongQuery;
            var query = Task.Run(() => command.ExecuteScalarAsync());
            await running.WaitAsync();
            raw.sqlite3_interrupt(firstHandle);

            var interrupted = await Assert.ThrowsAsync<SqliteException>(() => query);
            Assert.Equal(raw.SQLITE_INTERRUPT, interrupted.SqliteErrorCode);
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        var path = new SqliteConnectionStringBuilder(_connectionString).DataSource;
        File.Delete(path);
    }

    // Opens a pooled connection whose running() function signals that a statement has started. Queries run on a
    // thread of their own (Task.Run): Microsoft.Data.Sqlite runs its "async" calls synchronously.
    private SqliteConnection Open(out Signal<bool> running)
    {
        var started = new Signal<bool>();
        running = started;
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        connection.CreateFunction("running", () =>
        {
            started.Set(true);
            return 1L;
        });
        return connection;
    }
}
