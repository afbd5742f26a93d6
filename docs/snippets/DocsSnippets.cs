using System.Data;
using System.Diagnostics;
using AbortLab;
using AbortLab.Background;
using AbortLab.Idempotency;
using AbortLab.Playwright;
using AbortLab.Processes;
using AbortLab.Snippets;
using AbortLab.Streams;
using Microsoft.Data.Sqlite;

internal static class DocsSnippets
{
    public static void Diagnostics(WebApplicationBuilder builder, WebApplication app)
    {
        #region diagnostics-map
        app.MapAbortLab("/abortlab");                                  // this machine only: loopback, no proxy headers, a local Host
        app.MapAbortLab("/abortlab").RequireAuthorization("ops");      // or authorized clients from anywhere
        #endregion

        #region diagnostics-authorization
        builder.Services.AddAuthorization(o => o.AddPolicy("ops", p => p.RequireRole("ops")));
        app.MapAbortLab().RequireAuthorization("ops");
        #endregion

        #region diagnostics-query-in-clear
        builder.Services.AddAbortLab(o => o.QueryParametersShownInClear.Add("page"));
        #endregion
    }

    public static void IdempotencyUse(WebApplicationBuilder builder, WebApplication app)
    {
        #region idempotency-use
        builder.Services.AddSingleton<IIdempotencyStore>(
            new SqliteIdempotencyStore(() => new SqliteConnection("Data Source=app.db")));   // or none: in-memory
        builder.Services.AddIdempotency(o => o.Expiry = TimeSpan.FromHours(24));

        app.UseRouting();
        app.UseIdempotency();
        app.MapPost("/orders", async (HttpContext context, Order order, Db db) =>
        {
            var id = await db.InsertOrderAsync(order);                        // the side effect
            context.Features.Get<IIdempotencyFeature>()?.MarkCommitted();     // durable now
            return Results.Created($"/orders/{id}", new { id });
        }).WithIdempotency();
        #endregion
    }

    public static async Task IdempotencyTransactionAsync(HttpContext context, SqliteConnection connection, CancellationToken token)
    {
        #region idempotency-transaction
        await using var transaction = await connection.BeginTransactionAsync(token);
        // ... the side effect, with command.Transaction = transaction ...
        var idempotency = context.Features.Get<IIdempotencyFeature>()!;
        await using var mark = SqliteIdempotencyStore.CreateMarkCommittedCommand(connection, idempotency.Key, idempotency.Owner);
        mark.Transaction = transaction;
        if (await mark.ExecuteNonQueryAsync(token) != 1)
        {
            // This attempt's lease ran out and another request holds the key now: roll the side effect back.
            await transaction.RollbackAsync(token);
            return;
        }

        await transaction.CommitAsync(token);
        idempotency.MarkCommitted();
        #endregion
    }

    public static void HttpClient(WebApplicationBuilder builder, WebApplication app)
    {
        #region propagation-httpclient
        builder.Services.AddHttpClient("backend", c => c.BaseAddress = new("http://127.0.0.1:5082"))
            .AddAbortPropagation();

        // Even without a token, the call stops when the request's scope is aborted.
        app.MapGet("/downstream", (IHttpClientFactory f) => f.CreateClient("backend").GetStringAsync("/lab/slow"));
        #endregion
    }

    public static async Task ProcessesAsync(AbortScope scope, string[] args)
    {
        #region propagation-process
        var result = await scope.RunProcessAsync(new ProcessStartInfo("ffmpeg", args));   // killed, with its children, on abort
        #endregion

        #region propagation-command-channel
        await using var engine = ProcessCommandChannel.Start(new ProcessStartInfo("engine"), terminator: "<<END>>");
        var answer = await engine.SendAsync("analyse position 42", scope.Token);
        await foreach (var line in engine.StreamAsync("go", scope.Token))
        {
            Console.WriteLine(line);
        }
        #endregion
        Console.WriteLine($"{result.ExitCode} {answer}");
    }

    public static async Task CpuAsync(AbortScope scope)
    {
        var dataSet = Work.DataSet;
        var total = 0L;
        void Accumulate(DataRow row) => total += row.ItemArray.Length;
        long Result() => total;

        #region propagation-cpu
        var result = await scope.RunCpuBoundAsync("query", checkpoint =>
        {
            foreach (DataRow row in dataSet.Rows)      // dataSet loaded once, kept across queries
            {
                checkpoint.Check();                // looks at the token every Stride (1 024) calls
                Accumulate(row);
            }
            return Result();
        });
        #endregion
        Console.WriteLine(result);
    }

    public static async Task DatabaseAsync(AbortScope scope, SqliteConnection connection)
    {
        #region propagation-db
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT ...";
        var value = await scope.ExecuteScalarAsync(command, interrupt: c =>
            SQLitePCL.raw.sqlite3_interrupt(((SqliteConnection)c.Connection!).Handle));
        #endregion
        Console.WriteLine(value);
    }

    public static void Streams(WebApplication app)
    {
        #region propagation-streams
        app.MapGet("/events", (HttpContext ctx) => ServerSentEventStream.RunAsync(ctx, async (sse, token) =>
        {
            for (var i = 0; ; i++)
            {
                await sse.SendAsync($"tick {i}", id: i.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken: token);
                await Task.Delay(1000, token);
            }
        }));

        app.UseWebSockets();
        app.Map("/ws", (HttpContext ctx) => WebSocketSession.RunAsync(ctx, async (session, token) =>
        {
            while (true)
            {
                await session.SendAsync("tick");
                await Task.Delay(1000, token);
            }
        }, onMessage: (type, data, token) => Task.CompletedTask));
        #endregion
    }

    public static void Background(WebApplication app)
    {
        #region propagation-background
        app.MapPost("/export", async (IBackgroundWorkQueue queue) =>
        {
            await queue.QueueAsync("export", token => Work.ExportAsync(token));                     // tied to this request
            await queue.QueueAsync("audit", token => Work.AuditAsync(token), BackgroundWorkLifetime.Detached); // survives it
            return Results.Accepted();
        });
        #endregion
    }

    public static async Task RigAsync()
    {
        #region rig-fire
        await using var rig = await AbortRig.LaunchAsync(new AbortRigOptions
        {
            BaseAddress = new Uri("https://127.0.0.1:5443/"),   // the page gets this origin; paths are relative to it
            IgnoreHttpsErrors = true,                           // a self-signed certificate, as the lab's
            ArtifactsDirectory = "artifacts",                   // a Playwright trace and a screenshot of every failure
        });
        var verdict = await rig.FireAsync(new AbortRequest(AbortKind.FetchBeforeResponse, "/lab/downstream?ms=60000")
        {
            ExpectedHops = ["edge", "app", "backend"],          // first = the hop the browser talks to, last = the deepest
        });
        verdict.EnsurePassed();   // throws AbortVerdictException naming every failure, the timelines and the artifacts
        Console.WriteLine($"{verdict.DetectionMs} ms to detect, {verdict.WorkStoppedMs} ms to stop, socket {verdict.ConnectionClosedMs} ms");
        #endregion
    }

    public static void Yarp(WebApplicationBuilder builder, WebApplication app)
    {
        #region yarp-setup
        builder.Services.AddAbortLab();
        builder.Services.AddRequestTimeouts();
        builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy")).AddAbortLab();

        app.UseAbortLab();
        app.UseRouting();
        app.UseRequestTimeouts();       // for route Timeout / TimeoutPolicy
        app.MapReverseProxy();
        #endregion
    }
}
