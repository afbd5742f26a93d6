using AbortLab.Lab;
using AbortLab.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Lab;

/// <summary>
/// The lab with <c>Lab:Postgres:ConnectionString</c> set, on a real PostgreSQL server: <c>/lab/db</c> (ADO.NET) and
/// <c>/lab/db-ef</c> (EF Core, no token) left by their client, directly and through the edge. The database's own view
/// says the statement is gone; the timeline says <c>Canceled</c>; no hop logged an error.
/// </summary>
public sealed class LabPostgresTests(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    [Theory]
    [InlineData("db", false)]
    [InlineData("db", true)]
    [InlineData("db-ef", false)]
    [InlineData("db-ef", true)]
    public async Task SlowQuery_LeftByItsClient_LeavesPgStatActivity_Canceled_WithNoErrorLog(string scenario, bool throughEdge)
    {
        var database = await postgres.CreateDatabaseAsync();
        var dataDirectory = Directory.CreateTempSubdirectory("abortlab-lab-postgres-").FullName;
        var logs = new FakeLogCollector();
        var options = new LabOptions
        {
            Edge = new EdgeOptions { HttpPort = 0, HttpsPort = 0 },
            App = new HopOptions { Port = 0 },
            Backend = new HopOptions { Port = 0 },
            DataDirectory = dataDirectory,
            Postgres = new PostgresOptions { ConnectionString = database },
        };
        var topology = await LabTopology.StartAsync(options, new ConfigurationBuilder().Build(), logging => logging
            .SetMinimumLevel(LogLevel.Debug)
            .AddProvider(new FakeLoggerProvider(logs)));
        try
        {
            var tag = $"pg-{scenario}-{(throughEdge ? "edge" : "direct")}-{Guid.NewGuid():N}";
            using var client = await RawHttpConnection.ConnectAsync((throughEdge ? topology.EdgeHttp : topology.App).Port);
            await client.SendAsync($"GET /lab/{scenario}?ms=60000&abortlab-tag={tag} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            await WaitUntilAsync(async () => await postgres.CountActiveAsync(database, "pg_sleep") == 1);

            client.CloseWithFin();

            var app = await topology.Store.WaitForTimelineAsync(
                t => t.Tag == tag && t.Hop == "app" && t.CompletedAt is not null && t.AbortToWorkStoppedMs is not null,
                KestrelTestHost.WaitTimeout);
            await WaitUntilAsync(async () => await postgres.CountActiveAsync(database, "pg_sleep") == 0);
            output.WriteLine($"{tag}: abort->work stopped {app.AbortToWorkStoppedMs} ms; work {string.Join(", ", app.Work.Select(w => $"{w.Name} {w.Outcome}"))}");

            Assert.Equal(AbortReason.ClientDisconnected, app.AbortReason);
            Assert.Equal(499, app.StatusCode);
            Assert.NotEmpty(app.Work);
            Assert.All(app.Work, work => Assert.Equal(WorkOutcome.Canceled, work.Outcome));
            Assert.False(app.Zombie);
            Assert.DoesNotContain(logs.GetSnapshot(), r => r.Level >= LogLevel.Error);
        }
        finally
        {
            await topology.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(KestrelTestHost.WaitTimeout);
        while (!await condition())
        {
            await Task.Delay(10, deadline.Token);
        }
    }
}
