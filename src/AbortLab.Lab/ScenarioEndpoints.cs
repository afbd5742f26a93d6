using System.Diagnostics;
using System.Security.Cryptography;
using AbortLab.Streams;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace AbortLab.Lab;

/// <summary>
/// The lab's scenarios. Each tracks its work, so its timeline shows when the work stopped after an abort.
/// </summary>
internal static class ScenarioEndpoints
{
    private const int DefaultMilliseconds = 30_000;

    public static void MapSlow(IEndpointRouteBuilder endpoints)
    {
        // Headers are flushed first, so an abort lands after the response started, as with most real pages.
        endpoints.MapGet("/lab/slow", async (HttpContext context) =>
        {
            if (!ScenarioParameters.TryRead(context, "ms", DefaultMilliseconds, 0, ScenarioParameters.MaxMilliseconds, out var ms, out var problem))
            {
                return problem!;
            }

            var scope = context.GetAbortScope();
            context.Response.ContentType = "text/plain; charset=utf-8";

            // StartAsync only freezes the headers; the flush sends them.
            await context.Response.StartAsync(scope.Token);
            await context.Response.Body.FlushAsync(scope.Token);
            await scope.RunAsync("slow", token => Task.Delay(ms, token));
            await context.Response.WriteAsync("done\n", scope.Token);
            return Results.Empty;
        });
    }

    public static void MapScenarios(IEndpointRouteBuilder endpoints, LabDatabase database)
    {
        MapSlow(endpoints);

        endpoints.MapGet("/lab/stream", async (HttpContext context) =>
        {
            if (!ScenarioParameters.TryRead(context, "ms", DefaultMilliseconds, 0, ScenarioParameters.MaxMilliseconds, out var ms, out var problem))
            {
                return problem!;
            }

            var scope = context.GetAbortScope();
            context.Response.ContentType = "text/plain; charset=utf-8";
            await scope.RunAsync("stream", async token =>
            {
                var chunk = new byte[256];
                Array.Fill(chunk, (byte)'.');
                chunk[^1] = (byte)'\n';
                var end = Stopwatch.GetTimestamp() + (long)(ms * (Stopwatch.Frequency / 1000.0));
                while (Stopwatch.GetTimestamp() < end)
                {
                    await context.Response.Body.WriteAsync(chunk, token);
                    await context.Response.Body.FlushAsync(token);
                    await Task.Delay(10, token);
                }
            });
            return Results.Empty;
        });

        endpoints.MapGet("/lab/sse", (HttpContext context) => ServerSentEventStream.RunAsync(context, async (stream, token) =>
        {
            for (var i = 0; ; i++)
            {
                await stream.SendAsync($"tick {i}", "tick", i.ToString(System.Globalization.CultureInfo.InvariantCulture), token);
                await Task.Delay(100, token);
            }
        }, TimeSpan.FromSeconds(2)));

        endpoints.Map("/lab/ws", (HttpContext context) => WebSocketSession.RunAsync(
            context,
            async (session, token) =>
            {
                for (var i = 0; ; i++)
                {
                    await session.SendAsync($"tick {i}");
                    await Task.Delay(100, token);
                }
            },
            onMessage: (type, message, token) => Task.CompletedTask));

        endpoints.MapGet("/lab/cpu", async (HttpContext context, LabDataSet data) =>
        {
            if (!ScenarioParameters.TryRead(context, "ms", DefaultMilliseconds, 0, ScenarioParameters.MaxMilliseconds, out var ms, out var problem))
            {
                return problem!;
            }

            var scope = context.GetAbortScope();
            var values = data.Values;
            var sum = await scope.RunCpuBoundAsync("cpu", checkpoint =>
            {
                long total = 0;
                var end = Stopwatch.GetTimestamp() + (long)(ms * (Stopwatch.Frequency / 1000.0));
                do
                {
                    foreach (var value in values)
                    {
                        checkpoint.Check();
                        total += value;
                    }
                }
                while (Stopwatch.GetTimestamp() < end);
                return total;
            });
            return Results.Json(new { sum, dataSetLoads = data.Loads });
        });

        endpoints.MapPost("/lab/upload", async (HttpContext context) =>
        {
            if (!ScenarioParameters.TryRead(context, "readDelayMs", 0, -1, ScenarioParameters.MaxMilliseconds, out var readDelayMs, out var problem))
            {
                return problem!;
            }

            var scope = context.GetAbortScope();
            if (readDelayMs < 0)
            {
                // Never reads: only AbortLab's upload watch can see this client leave.
                await scope.RunAsync("ignore-body", token => Task.Delay(Timeout.Infinite, token));
                return Results.Empty;
            }

            await scope.RunAsync("read-delay", token => Task.Delay(readDelayMs, token));
            var (bytes, hash) = await scope.RunAsync("read-body", async token =>
            {
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[64 * 1024];
                long total = 0;
                int read;
                while ((read = await context.Request.Body.ReadAsync(buffer, token)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    total += read;
                }

                return (total, Convert.ToHexStringLower(sha.GetHashAndReset()));
            });
            return Results.Json(new { bytes, sha256 = hash });
        });

        endpoints.MapGet("/lab/downstream", async (HttpContext context, IHttpClientFactory clients) =>
        {
            if (!ScenarioParameters.TryRead(context, "ms", DefaultMilliseconds, 0, ScenarioParameters.MaxMilliseconds, out var ms, out var problem))
            {
                return problem!;
            }

            // No token passed on purpose: AddAbortPropagation links the scope's.
            var body = await clients.CreateClient(LabTopology.BackendClient).GetStringAsync($"/lab/slow?ms={ms}");
            return Results.Text(body);
        });

        endpoints.MapGet("/lab/process", async (HttpContext context) =>
        {
            if (!ScenarioParameters.TryRead(context, "ms", DefaultMilliseconds, 0, ScenarioParameters.MaxMilliseconds, out var ms, out var problem))
            {
                return problem!;
            }

            var seconds = (ms / 1000.0).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
            var result = await context.GetAbortScope().RunProcessAsync(new ProcessStartInfo("/bin/sh", ["-c", $"sleep {seconds} & wait"]));
            return Results.Json(new { exitCode = result.ExitCode, pid = result.ProcessId });
        });

        endpoints.MapGet("/lab/db", async (HttpContext context) =>
        {
            if (!ScenarioParameters.TryRead(context, "ms", DefaultMilliseconds, 0, ScenarioParameters.MaxMilliseconds, out var ms, out var problem))
            {
                return problem!;
            }

            var scope = context.GetAbortScope();
            await using var connection = database.CreateConnection();
            await connection.OpenAsync(scope.Token);
            await using var command = connection.CreateCommand();
            if (database.IsPostgres)
            {
                command.CommandText = "SELECT pg_sleep(@seconds)";
                var seconds = command.CreateParameter();
                seconds.ParameterName = "@seconds";
                seconds.Value = ms / 1000.0;
                command.Parameters.Add(seconds);

                // Npgsql sends PostgreSQL's cancel request itself when the token fires: no interrupt of our own.
                await scope.ExecuteScalarAsync(command, static _ => { });
                return Results.Json(new { slept = ms });
            }

            // About ten million rows a second here: a query that runs for roughly 'ms'.
            command.CommandText = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $n) SELECT count(*) FROM c";
            ((SqliteCommand)command).Parameters.AddWithValue("$n", Math.Max(1L, ms * 10_000L));
            // Microsoft.Data.Sqlite runs "async" calls synchronously: a long query would hold a thread-pool thread, and
            // Kestrel delivers client aborts through the pool. The query gets a thread of its own.
            var count = await Task.Factory.StartNew(
                () => scope.ExecuteScalarAsync(command, static c => SQLitePCL.raw.sqlite3_interrupt(((SqliteConnection)c.Connection!).Handle)),
                scope.Token,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).Unwrap();
            return Results.Json(new { rows = count });
        });

        endpoints.MapGet("/lab/db-ef", async (HttpContext context, LabShopContext db) =>
        {
            if (!ScenarioParameters.TryRead(context, "ms", DefaultMilliseconds, 0, ScenarioParameters.MaxMilliseconds, out var ms, out var problem))
            {
                return problem!;
            }

            // As a new user writes it: EF Core, no token. AbortLab.EntityFrameworkCore stops it with the request.
            if (db.IsPostgres)
            {
                var seconds = ms / 1000.0;
                var slept = await db.Database.SqlQuery<string>($"SELECT pg_sleep({seconds})::text AS \"Value\"").ToListAsync();
                return Results.Json(new { slept = slept.Count });
            }

            // Microsoft.Data.Sqlite runs "async" calls synchronously: the query gets a thread of its own (see /lab/db).
            var rows = Math.Max(1L, ms * 10_000L);
            var count = await Task.Factory.StartNew(
                () => db.Database.SqlQuery<long>($"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) SELECT count(*) AS \"Value\" FROM c").ToListAsync(),
                context.GetAbortScope().Token,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).Unwrap();
            return Results.Json(new { rows = count.Single() });
        });

        endpoints.MapGet("/lab/ignore", async (HttpContext context, TimeProvider timeProvider) =>
        {
            if (!ScenarioParameters.TryRead(context, "ms", 5_000, 0, ScenarioParameters.MaxMilliseconds, out var ms, out var problem))
            {
                return problem!;
            }

            // The zombie case: this work ignores its token on purpose, and the watchdog says so.
            using var work = context.GetAbortScope().Track("ignores-token");
            await Task.Delay(TimeSpan.FromMilliseconds(ms), timeProvider);
            return Results.Text("finished, whoever was listening\n");
        });
    }
}
