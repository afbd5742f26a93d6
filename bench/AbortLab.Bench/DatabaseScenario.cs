using System.Collections.Concurrent;
using System.Net;
using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AbortLab.Bench;

/// <summary>
/// Scenario 11: EF Core queries given no token, stopped by AbortLab.EntityFrameworkCore when the client leaves. A
/// raw-socket client sends the request, waits until the query runs (SQLite: a function the query calls; PostgreSQL:
/// <c>pg_stat_activity</c>), then leaves with a FIN; the endpoint notes when EF Core's call ended with the
/// cancellation. For PostgreSQL the server's own view is checked after each sample: the query must have left
/// <c>pg_stat_activity</c>.
/// </summary>
internal static class DatabaseScenario
{
    private const string SqliteQuery = "WITH RECURSIVE c(x) AS (SELECT running() UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) AS \"Value\" FROM c";

    public sealed record Outcome(Dictionary<string, LatencyStats> Stops, int? PostgresStillRunning);

    public static async Task<(ScenarioReport Report, Outcome Outcome)> RunAsync(BenchSettings settings)
    {
        var samples = settings.Quick ? 30 : 200;
        var report = new ScenarioReport("database", "11. Database queries stopped", $"Kestrel + AbortLab + EF Core with `UseAbortLab()`; the endpoint runs a query that would take minutes and passes no token. {samples} samples per row, one at a time: the client leaves (FIN) once the query runs; latency from the client leaving to EF Core's call ending with the cancellation. PostgreSQL: a server of the benchmark's own (`initdb`, `pg_ctl` on a free loopback port), `SELECT pg_sleep(30)`; after each sample `pg_stat_activity` is polled until the statement is gone (\"still running after 5 s\" counts those that were not).");
        var stops = new Dictionary<string, LatencyStats>(StringComparer.Ordinal);

        var path = Path.Combine(Path.GetTempPath(), $"abortlab-bench-{Guid.NewGuid():N}.db");
        try
        {
            (stops["EF Core + SQLite"], _) = await MeasureAsync(report, "EF Core + SQLite", o => o.UseSqlite($"Data Source={path}"), samples, postgres: null);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }

        if (PostgresServer.FindBinaries() is null)
        {
            report.Notes.Add("PostgreSQL skipped: its server programs are not installed (`apt-get install postgresql`).");
            return (report, new Outcome(stops, null));
        }

        await using var server = await PostgresServer.StartAsync();
        var version = await ScalarAsync(server.ConnectionString, "SHOW server_version");
        report.Notes.Add($"PostgreSQL {version}, Npgsql {typeof(NpgsqlConnection).Assembly.GetName().Version}.");
        (stops["EF Core + PostgreSQL"], var stillRunning) = await MeasureAsync(report, "EF Core + PostgreSQL", o => o.UseNpgsql(server.ConnectionString), samples, server);
        NpgsqlConnection.ClearAllPools();
        return (report, new Outcome(stops, stillRunning));
    }

    private static async Task<(LatencyStats Stats, int StillRunning)> MeasureAsync(ScenarioReport report, string label, Action<DbContextOptionsBuilder> provider, int samples, PostgresServer? postgres)
    {
        var started = new ConcurrentDictionary<int, TaskCompletionSource>();
        var stopped = new ConcurrentDictionary<int, TaskCompletionSource<long>>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddAbortLab(o => o.HopName = "bench");
        builder.Services.AddDbContextPool<BenchDbContext>(o => provider(o.UseAbortLab()));
        await using var app = builder.Build();
        app.UseAbortLab();
        app.MapGet("/query/{id:int}", async (int id, BenchDbContext db) =>
        {
            try
            {
                if (postgres is null)
                {
                    await db.Database.OpenConnectionAsync();
                    ((SqliteConnection)db.Database.GetDbConnection()).CreateFunction("running", () =>
                    {
                        Started(started, id).TrySetResult();
                        return 1L;
                    });
                    return (await db.Database.SqlQueryRaw<long>(SqliteQuery).ToListAsync()).Single();
                }

                var sql = $"SELECT pg_sleep(30) /* sample {id} */";
                return await db.Database.ExecuteSqlRawAsync(sql);
            }
            catch (OperationCanceledException)
            {
                Stopped(stopped, id).TrySetResult(Clock.Now);
                throw;
            }
        });
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;

        var latencies = new List<double?>(samples);
        var stillRunning = 0;
        for (var i = 0; i < samples + 5; i++)
        {
            var id = Ids.Next();
            using var client = await RawAbortClient.ConnectAsync(port, CancellationToken.None);
            await client.SendAsync($"GET /query/{id} HTTP/1.1\r\nHost: bench\r\n\r\n", CancellationToken.None);
            if (postgres is null)
            {
                await Started(started, id).Task.WaitAsync(TimeSpan.FromSeconds(10));
            }
            else
            {
                await WaitForActiveAsync(postgres, id, expected: 1, TimeSpan.FromSeconds(10));
            }

            var left = client.Leave(reset: false);
            double? latency = null;
            try
            {
                latency = Clock.Ms(left, await Stopped(stopped, id).Task.WaitAsync(TimeSpan.FromSeconds(5)));
            }
            catch (TimeoutException)
            {
            }

            if (postgres is not null && !await WaitForActiveAsync(postgres, id, expected: 0, TimeSpan.FromSeconds(5)))
            {
                stillRunning++;
            }

            if (i >= 5)
            {
                latencies.Add(latency);
            }
        }

        var stats = LatencyStats.From(latencies);
        var row = report.Add(label).Latency(stats);
        if (postgres is not null)
        {
            row.Set("still running after 5 s", stillRunning);
        }

        await app.StopAsync();
        return (stats, stillRunning);
    }

    private static TaskCompletionSource Started(ConcurrentDictionary<int, TaskCompletionSource> started, int id) =>
        started.GetOrAdd(id, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private static TaskCompletionSource<long> Stopped(ConcurrentDictionary<int, TaskCompletionSource<long>> stopped, int id) =>
        stopped.GetOrAdd(id, static _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));

    // PostgreSQL's view of the sample's statement, polled (another process: nothing to wait on).
    private static async Task<bool> WaitForActiveAsync(PostgresServer postgres, int id, int expected, TimeSpan timeout)
    {
        var deadline = Clock.Now + (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE @text AND pid <> pg_backend_pid()", connection);
        command.Parameters.AddWithValue("text", $"%/* sample {id} */%");
        while (Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) != expected)
        {
            if (Clock.Now > deadline)
            {
                return false;
            }

            await Task.Delay(1);
        }

        return true;
    }

    private static async Task<string?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    private sealed class BenchDbContext(DbContextOptions<BenchDbContext> options) : DbContext(options);
}
