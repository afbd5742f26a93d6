using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AbortLab.FunctionalTests.EntityFrameworkCore;

/// <summary>
/// EF Core on a real SQLite file behind real Kestrel: the new user, who passes no token (or the scope's)
/// to a slow query and expects it to stop when the client leaves, quietly.
/// </summary>
public sealed class EntityFrameworkSqliteTests : IDisposable
{
    // Counts to two billion: minutes of work for SQLite, unless stopped. running() tells the test, from inside the
    // executing statement, that it has started.
    private const string CountQuery = "WITH RECURSIVE c(x) AS (SELECT running() UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) AS \"Value\" FROM c";

    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"abortlab-ef-{Guid.NewGuid():N}.db");

    [Theory]
    [InlineData("async")]
    [InlineData("sync")]
    public async Task SlowQueryGivenNoToken_StopsWhenTheClientLeaves_AsCanceledWithNoErrorLog(string mode)
    {
        var started = new Signal<string>();
        await using var host = await StartAsync(app => app.MapGet("/count", async (HttpContext context, ShopContext db) =>
        {
            var id = context.GetAbortScope().RequestId;
            await db.Database.OpenConnectionAsync();
            ((SqliteConnection)db.Database.GetDbConnection()).CreateFunction("running", () =>
            {
                started.Set(id);
                return 1L;
            });
            var counted = mode == "sync"
                ? db.Database.SqlQueryRaw<long>(CountQuery).ToList()
                : await db.Database.SqlQueryRaw<long>(CountQuery).ToListAsync();
            return counted.Single();
        }));

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /count HTTP/1.1\r\nHost: test\r\n\r\n");
        var requestId = await started.WaitAsync();
        client.CloseWithFin();

        var timeline = await host.WaitForTimelineAsync(t => t.Id == requestId && t.CompletedAt is not null && t.Work.All(w => w.Outcome != WorkOutcome.Running));
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Equal(499, timeline.StatusCode);
        var work = Assert.Single(timeline.Work);
        Assert.Equal(WorkOutcome.Canceled, work.Outcome);
        Assert.StartsWith("db ", work.Name, StringComparison.Ordinal);
        Assert.EndsWith(" WITH", work.Name, StringComparison.Ordinal);

        // EF Core saw a cancellation, not a failure: its Debug event, and nothing at Error anywhere.
        await host.WaitForLogAsync(r => r.Id.Name == "Microsoft.EntityFrameworkCore.Database.Command.CommandCanceled");
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task QueriesAndSavesThatComplete_AreTrackedAsCompleted_AndWorkOutsideARequest()
    {
        await using var host = await StartAsync(app => app.MapPost("/items", async (HttpContext context, ShopContext db) =>
        {
            db.Items.Add(new Item { Name = "kept" });
            await db.SaveChangesAsync();
            var count = await db.Items.CountAsync();
            var updated = await db.Items.Where(i => i.Name == "kept").ExecuteUpdateAsync(s => s.SetProperty(i => i.Name, "kept!"));
            return new { count, updated, synchronous = db.Items.Count(i => i.Name == "kept!") };
        }));

        // Outside any request: no scope, EF Core runs the commands itself.
        using (var scope = host.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ShopContext>();
            await db.Database.EnsureCreatedAsync();
            Assert.Equal(0, await db.Items.CountAsync());
        }

        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using var response = await http.PostAsync("/items", null);
        Assert.Equal("{\"count\":1,\"updated\":1,\"synchronous\":1}", await response.Content.ReadAsStringAsync());

        var timeline = await host.WaitForTimelineAsync(t => t.Path == "/items" && t.CompletedAt is not null);
        Assert.Null(timeline.AbortReason);
        Assert.Equal(200, timeline.StatusCode);
        Assert.NotEmpty(timeline.Work);
        Assert.All(timeline.Work, w => Assert.Equal(WorkOutcome.Completed, w.Outcome));
        Assert.Contains(timeline.Work, w => w.Name.StartsWith("db SaveChanges INSERT", StringComparison.Ordinal));
        Assert.Contains(timeline.Work, w => w.Name.EndsWith(" UPDATE", StringComparison.Ordinal));
        Assert.Contains(timeline.Work, w => w.Name.StartsWith("db LinqQuery SELECT", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        File.Delete(_databasePath);
    }

    private Task<KestrelTestHost> StartAsync(Action<WebApplication> map) =>
        KestrelTestHost.StartAsync(
            app =>
            {
                app.UseAbortLab();
                map(app);
            },
            configureServices: services => services.AddDbContextPool<ShopContext>(o => o.UseSqlite($"Data Source={_databasePath}").UseAbortLab()));
}
