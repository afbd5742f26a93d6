using System.Diagnostics;
using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.EntityFrameworkCore;

/// <summary>
/// EF Core on a real PostgreSQL server (the test's own, see <see cref="PostgresFixture"/>) behind real Kestrel. The
/// proof that a query stopped is the server's own view of what runs: <c>pg_stat_activity</c>.
/// </summary>
public sealed class EntityFrameworkPostgresTests(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    [Theory]
    [InlineData("async")]
    [InlineData("sync")]
    public async Task SlowQueryGivenNoToken_IsGoneFromTheServerWhenTheClientLeaves(string mode)
    {
        var database = await postgres.CreateDatabaseAsync();
        var marker = $"pg_sleep(60.{Random.Shared.Next(1000, 9999)})";
        await using var host = await StartAsync(database, app => app.MapGet("/sleep", async (ShopContext db) =>
        {
            var sql = $"SELECT {marker}";
            return mode == "sync" ? db.Database.ExecuteSqlRaw(sql) : await db.Database.ExecuteSqlRawAsync(sql);
        }));

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /sleep HTTP/1.1\r\nHost: test\r\n\r\n");
        await WaitForActiveAsync(database, marker, expected: 1);
        var left = Stopwatch.GetTimestamp();
        client.CloseWithFin();

        await WaitForActiveAsync(database, marker, expected: 0);
        output.WriteLine($"gone from pg_stat_activity {Stopwatch.GetElapsedTime(left).TotalMilliseconds:0.0} ms after the client left");
        var timeline = await host.WaitForTimelineAsync(t => t.Path == "/sleep" && t.CompletedAt is not null && t.Work.All(w => w.Outcome != WorkOutcome.Running));
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Equal(WorkOutcome.Canceled, Assert.Single(timeline.Work).Outcome);
        await host.WaitForLogAsync(r => r.Id.Name == "Microsoft.EntityFrameworkCore.Database.Command.CommandCanceled");
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Level >= LogLevel.Error);

        // The pooled context and its connection serve the next request.
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal(3, int.Parse(await http.GetStringAsync("/sum"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task AbortedRequest_InsideATransaction_WritesNothing()
    {
        var database = await postgres.CreateDatabaseAsync();
        var marker = $"pg_sleep(60.{Random.Shared.Next(1000, 9999)})";
        await using var host = await StartAsync(database, app => app.MapPost("/order", async (ShopContext db) =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Items.Add(new Item { Name = "half-written" });
            await db.SaveChangesAsync();
            var sleep = $"SELECT {marker}";
            await db.Database.ExecuteSqlRawAsync(sleep);
            await transaction.CommitAsync();
            return "ordered";
        }));

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("POST /order HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n");
        try
        {
            await WaitForActiveAsync(database, marker, expected: 1);
        }
        catch
        {
            DumpLogs(host, output);
            throw;
        }

        client.CloseWithRst();

        await WaitForActiveAsync(database, marker, expected: 0);
        var timeline = await host.WaitForTimelineAsync(t => t.Path == "/order" && t.CompletedAt is not null && t.Work.All(w => w.Outcome != WorkOutcome.Running));
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Contains(timeline.Work, w => w.Name.StartsWith("db SaveChanges INSERT", StringComparison.Ordinal) && w.Outcome == WorkOutcome.Completed);
        Assert.Equal(WorkOutcome.Canceled, timeline.Work[^1].Outcome);

        using var scope = host.Services.CreateScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<ShopContext>().Items.CountAsync());
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task StreamingQuery_StopsBetweenRowsWhenTheClientLeaves()
    {
        var database = await postgres.CreateDatabaseAsync();
        var marker = $"pg_sleep(0.05{Random.Shared.Next(1000, 9999)})";
        var firstRow = new Signal();
        var rows = 0;
        await using var host = await StartAsync(database, app => app.MapGet("/stream", async (ShopContext db) =>
        {
            // Rows larger than PostgreSQL's send buffer, one every 50 ms: each reaches the reader as it is made.
            var sql = $"SELECT repeat('x', 10000) || g AS \"Value\" FROM generate_series(1, 100000) g, LATERAL (SELECT {marker}) s";
            var query = db.Database.SqlQueryRaw<string>(sql);
            await foreach (var row in query.AsAsyncEnumerable())
            {
                Interlocked.Increment(ref rows);
                firstRow.Set();
            }

            return "all rows";
        }));

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /stream HTTP/1.1\r\nHost: test\r\n\r\n");
        await firstRow.WaitAsync();
        client.CloseWithFin();

        await WaitForActiveAsync(database, marker, expected: 0);
        var timeline = await host.WaitForTimelineAsync(t => t.Path == "/stream" && t.CompletedAt is not null && t.Work.All(w => w.Outcome != WorkOutcome.Running));
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Equal(WorkOutcome.Canceled, Assert.Single(timeline.Work).Outcome);
        Assert.InRange(Volatile.Read(ref rows), 1, 99_999);
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task CancelThatCannotReachTheServer_IsShownUnconfirmed_AndTheStatementStillRunsThere()
    {
        // Npgsql cancels by a new connection to the server; a hop that refuses new connections (a pooler at its
        // limit, a firewall) stops it. PostgreSQL itself takes a cancel request even at max_connections.
        var database = await postgres.CreateDatabaseAsync();
        await using var forwarder = new GatedTcpForwarder(new Npgsql.NpgsqlConnectionStringBuilder(database).Port);
        var throughForwarder = Through(forwarder, database).ConnectionString;
        var marker = $"pg_sleep(60.{Random.Shared.Next(1000, 9999)})";
        await using var host = await StartAsync(throughForwarder, app => app.MapGet("/sleep", async (ShopContext db) =>
        {
            var sql = $"SELECT {marker}";
            return await db.Database.ExecuteSqlRawAsync(sql);
        }));

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /sleep HTTP/1.1\r\nHost: test\r\n\r\n");
        await WaitForActiveAsync(database, marker, expected: 1);
        forwarder.RefuseNew = true;
        client.CloseWithFin();

        var timeline = await host.WaitForTimelineAsync(t => t.Path == "/sleep" && t.CompletedAt is not null && t.Work.All(w => w.Outcome != WorkOutcome.Running));
        var work = Assert.Single(timeline.Work);
        output.WriteLine($"{work.Name}: {work.Outcome} ({work.Error}); cancel connections refused {forwarder.Refused}; still active on the server {await postgres.CountActiveAsync(database, marker)}");
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Equal(WorkOutcome.Canceled, work.Outcome);
        Assert.Equal("DatabaseCancelUnconfirmed", work.Error);
        Assert.True(forwarder.Refused > 0);
        Assert.Equal(1, await postgres.CountActiveAsync(database, marker));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Name == "DatabaseCancelUnconfirmed" && r.Level == LogLevel.Warning);
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Level >= LogLevel.Error);
        await postgres.TerminateAsync(database, marker);
    }

    [Theory]
    [InlineData("ef")]
    [InlineData("ado")]
    public async Task CancelThatArrivesBeforeTheStatement_IsSentAgain_AndTheStatementStops(string mode)
    {
        // PostgreSQL drops a cancel request that finds the backend between statements. Sent as the command starts, it
        // can overtake the statement on its way to the server (seen once in 200 Chromium aborts, bench scenario 12):
        // here the statement is held on the way in until the first cancel request has been and gone.
        var database = await postgres.CreateDatabaseAsync();
        await using var forwarder = new GatedTcpForwarder(new Npgsql.NpgsqlConnectionStringBuilder(database).Port);
        // One pooled connection, and no reset prepended to its next statement (Npgsql holds a cancel back until the
        // reset's answer arrived, which the hold would delay).
        var builder = Through(forwarder, database);
        builder.MaxPoolSize = 1;
        builder.NoResetOnClose = true;
        var throughForwarder = builder.ConnectionString;
        var marker = $"pg_sleep(60.{Random.Shared.Next(1000, 9999)})";
        await using var host = await StartAsync(throughForwarder, app => app.MapGet("/sleep", async (HttpContext context, ShopContext db) =>
        {
            var sql = $"SELECT {marker}";
            if (mode == "ef")
            {
                return await db.Database.ExecuteSqlRawAsync(sql);
            }

            // The pool's one connection, opened before the hold: the statement is held on its way in.
            await using var connection = new Npgsql.NpgsqlConnection(throughForwarder);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            return await context.GetAbortScope().ExecuteNonQueryAsync(command, static _ => { });
        }));

        forwarder.Hold();
        var acceptedAtHold = forwarder.Accepted;
        var endedAtHold = forwarder.EndedByServer;
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /sleep HTTP/1.1\r\nHost: test\r\n\r\n");
        await host.WaitForTimelineAsync(t => t.Path == "/sleep" && t.Work.Any(w => w.Outcome == WorkOutcome.Running));

        // Tracked work runs a moment before Npgsql sends the statement; a client gone before that point makes Npgsql
        // throw without sending anything (no statement, no cancel: seen once in CI). The statement must be held.
        await WaitUntilAsync(() => forwarder.HeldReads > 0);
        client.CloseWithFin();

        // The first cancel request, on a connection of its own, finds the backend idle and is dropped; the statement
        // has not reached the server.
        await WaitUntilAsync(() => forwarder.EndedByServer > endedAtHold);
        Assert.Equal(0, await postgres.CountActiveAsync(database, marker));
        forwarder.Release();

        var timeline = await host.WaitForTimelineAsync(t => t.Path == "/sleep" && t.CompletedAt is not null && t.Work.All(w => w.Outcome != WorkOutcome.Running));
        var work = Assert.Single(timeline.Work);
        output.WriteLine($"{work.Name}: {work.Outcome} ({work.Error}) after {timeline.AbortToWorkStoppedMs} ms; connections through the hop since the hold {forwarder.Accepted - acceptedAtHold}; still active on the server {await postgres.CountActiveAsync(database, marker)}");
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Equal(WorkOutcome.Canceled, work.Outcome);
        Assert.Equal(nameof(OperationCanceledException), work.Error);
        await WaitForActiveAsync(database, marker, expected: 0);
        Assert.True(forwarder.Accepted - acceptedAtHold >= 2, "the cancel was sent again");
        // Logged once the resend's own statement returned, which may be after the command ended.
        var resent = await host.WaitForLogAsync(r => r.Id.Name == "DatabaseCancelResent");
        output.WriteLine(resent.Message);
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Level >= LogLevel.Error);
    }

    private static Npgsql.NpgsqlConnectionStringBuilder Through(GatedTcpForwarder forwarder, string database) =>
        new(database) { Host = "127.0.0.1", Port = forwarder.Port };

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(KestrelTestHost.WaitTimeout);
        while (!condition())
        {
            await Task.Delay(5, deadline.Token);
        }
    }

    private async Task<KestrelTestHost> StartAsync(string connectionString, Action<WebApplication> map)
    {
        var host = await KestrelTestHost.StartAsync(
            app =>
            {
                app.UseAbortLab();
                app.MapGet("/sum", async (ShopContext db) => (await db.Database.SqlQueryRaw<int>("SELECT 1 + 2 AS \"Value\"").ToListAsync()).Single());
                map(app);
            },
            configureServices: services => services.AddDbContextPool<ShopContext>(o => o.UseNpgsql(connectionString).UseAbortLab()));
        using var scope = host.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<ShopContext>().Database.EnsureCreatedAsync();
        return host;
    }

    private static void DumpLogs(KestrelTestHost host, ITestOutputHelper output)
    {
        foreach (var record in host.Logs.GetSnapshot())
        {
            output.WriteLine($"{record.Level} {record.Category}: {record.Message} {record.Exception}");
        }
    }

    // PostgreSQL's own view, polled: there is no event to wait on in another process.
    private async Task WaitForActiveAsync(string database, string marker, int expected)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(KestrelTestHost.WaitTimeout.TotalSeconds * Stopwatch.Frequency);
        int count;
        while ((count = await postgres.CountActiveAsync(database, marker)) != expected)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                output.WriteLine(postgres.Server.ReadLog());
                Assert.Fail($"pg_stat_activity shows {count} active statements with {marker}, not {expected}.");
            }

            await Task.Delay(5);
        }
    }
}
