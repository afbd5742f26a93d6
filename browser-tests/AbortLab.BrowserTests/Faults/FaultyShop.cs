using System.Diagnostics;
using System.Net;
using AbortLab.Background;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AbortLab.BrowserTests.Faults;

/// <summary>
/// A shop that uses AbortLab as its README says, with the abort bugs real apps have, each at <c>/fault/{name}</c>,
/// and the correct twin of each at <c>/twin/{name}</c>. Its warehouse is a second host (hop "warehouse") that streams
/// stock updates. Written for the rig's tests: the rig was not written against these endpoints.
/// </summary>
internal sealed partial class FaultyShop : IAsyncDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private readonly WebApplication _shop;
    private readonly WebApplication _warehouse;
    private readonly string _directory;

    private FaultyShop(WebApplication shop, WebApplication warehouse, string directory)
    {
        _shop = shop;
        _warehouse = warehouse;
        _directory = directory;
    }

    public Uri Address => AddressOf(_shop);

    public Uri WarehouseAddress => AddressOf(_warehouse);

    public Leftovers Leftovers { get; } = new();

    /// <summary>Where the shop's report writers write.</summary>
    public string Directory => _directory;

    public async Task<int> CountOrdersAsync(string item)
    {
        await using var scope = _shop.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShopContext>();
        return await db.Orders.CountAsync(o => o.Item == item);
    }

    public static async Task<FaultyShop> StartAsync()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("abortlab-faulty-shop-").FullName;
        var warehouse = Build("warehouse");
        warehouse.UseAbortLab();
        warehouse.MapAbortLab();
        warehouse.MapGet("/ping", () => Results.Ok());
        warehouse.MapGet("/stock", async (HttpContext context) =>
        {
            var token = context.RequestAborted;
            await context.Response.StartAsync(token);
            var chunk = new byte[4096];
            for (var i = 0; i < 6000; i++)
            {
                await context.Response.Body.WriteAsync(chunk, token);
                await Task.Delay(10, token);
            }
        });
        await warehouse.StartAsync();

        FaultyShop? shop = null;
        var app = Build("shop", builder =>
        {
            builder.Services.AddDbContext<ShopContext>(o => o.UseSqlite($"Data Source={Path.Combine(directory, "shop.db")}"));
            builder.Services.AddHttpClient("warehouse", c => c.BaseAddress = AddressOf(warehouse));
            builder.Services.AddSingleton<ReportQueue>();
            builder.Services.AddHostedService<ReportWorker>();
        });

        // A request logger in front of AbortLab that treats every status of 499 and above as an error (the fault), or
        // knows that 499 means the client left (the twin).
        app.Use(async (context, next) =>
        {
            await next(context);
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Shop.RequestLog");
            if (context.Response.StatusCode >= 499 && context.Request.Path.StartsWithSegments("/fault/status-logger"))
            {
                logger.LogError("Request {Path} failed with {Status}", context.Request.Path, context.Response.StatusCode);
            }
            else if (context.Response.StatusCode == 499)
            {
                logger.LogInformation("Client left {Path}", context.Request.Path);
            }
        });
        app.UseAbortLab();

        // An exception logger inside AbortLab: it sees the abort's exception on its way out.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception exception) when (context.Request.Path.StartsWithSegments("/fault/exception-logger")
                || (exception is not OperationCanceledException && !context.RequestAborted.IsCancellationRequested))
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Shop.Errors").LogError(exception, "Unhandled exception on {Path}", context.Request.Path);
                throw;
            }
        });
        app.MapAbortLab();
        MapEndpoints(app, () => shop!);
        MapWorkThatLeavesTheRequest(app, () => shop!);
        await app.StartAsync();

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ShopContext>().Database.EnsureCreatedAsync();
        }

        shop = new FaultyShop(app, warehouse, directory);
        return shop;
    }

    public async ValueTask DisposeAsync()
    {
        await Leftovers.StopAsync();
        await _shop.DisposeAsync();
        await _warehouse.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(_directory, recursive: true);
    }

    private static void MapEndpoints(WebApplication app, Func<FaultyShop> shop)
    {
        // Fire-and-forget CPU: the loop is started without the token and never awaited.
        app.MapGet("/fault/fire-and-forget", async (HttpContext context) =>
        {
            var leftovers = shop().Leftovers;
            leftovers.Add(Task.Run(() => Leftovers.Spin(CancellationToken.None, leftovers.Token)));
            await Task.Delay(Long, context.RequestAborted);
        });
        app.MapGet("/twin/fire-and-forget", async (HttpContext context) =>
        {
            var leftovers = shop().Leftovers;
            var token = context.RequestAborted;
            leftovers.Add(Task.Run(() => Leftovers.Spin(token, leftovers.Token)));
            await Task.Delay(Long, token);
        });

        // WaitAsync(token) around work started without it: the wait ends, the work does not.
        app.MapGet("/fault/wait-async", async (HttpContext context) =>
        {
            var leftovers = shop().Leftovers;
            var work = Task.Run(() => Leftovers.Spin(CancellationToken.None, leftovers.Token));
            leftovers.Add(work);
            await work.WaitAsync(context.RequestAborted);
        });
        app.MapGet("/twin/wait-async", async (HttpContext context) =>
        {
            var leftovers = shop().Leftovers;
            var token = context.RequestAborted;
            var work = Task.Run(() => Leftovers.Spin(token, leftovers.Token), token);
            leftovers.Add(work);
            await work.WaitAsync(token);
        });

        // A child process only waited on with the token: the wait stops, the process lives on.
        app.MapGet("/fault/child-process", async (HttpContext context) =>
        {
            var process = Process.Start(new ProcessStartInfo("sleep", "61") { UseShellExecute = false })!;
            shop().Leftovers.Add(process);
            await process.WaitForExitAsync(context.RequestAborted);
        });
        app.MapGet("/twin/child-process", async (HttpContext context) =>
        {
            var process = Process.Start(new ProcessStartInfo("sleep", "61") { UseShellExecute = false })!;
            shop().Leftovers.Add(process);
            try
            {
                await process.WaitForExitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                throw;
            }
        });

        // The handler logs the abort's exception at Error; the twin at Debug.
        app.MapGet("/fault/log-error", async (HttpContext context, ILogger<FaultyShop> logger) =>
        {
            try
            {
                await Task.Delay(Long, context.RequestAborted);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Loading the catalogue failed");
                throw;
            }
        });
        app.MapGet("/twin/log-error", async (HttpContext context, ILogger<FaultyShop> logger) =>
        {
            try
            {
                await Task.Delay(Long, context.RequestAborted);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                logger.LogDebug("The client left while the catalogue loaded");
                throw;
            }
        });

        // The middlewares above decide by path: these endpoints only wait.
        app.MapGet("/fault/exception-logger", (HttpContext context) => Task.Delay(Long, context.RequestAborted));
        app.MapGet("/twin/exception-logger", (HttpContext context) => Task.Delay(Long, context.RequestAborted));
        app.MapGet("/fault/status-logger", (HttpContext context) => Task.Delay(Long, context.RequestAborted));
        app.MapGet("/twin/status-logger", (HttpContext context) => Task.Delay(Long, context.RequestAborted));

        // An optional step whose catch swallows the client's abort; the order is then saved for nobody.
        app.MapPost("/fault/swallow-then-save", async (HttpContext context, ShopContext db, string item) =>
        {
            try
            {
                await Task.Delay(Long, context.RequestAborted); // "recommendations", optional
            }
            catch (OperationCanceledException)
            {
            }

            db.Orders.Add(new Order { Item = item });
            await db.SaveChangesAsync();
            return Results.Ok();
        });
        app.MapPost("/twin/swallow-then-save", async (HttpContext context, ShopContext db, string item) =>
        {
            try
            {
                await Task.Delay(Long, context.RequestAborted);
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
            }

            db.Orders.Add(new Order { Item = item });
            await db.SaveChangesAsync(context.RequestAborted);
            return Results.Ok();
        });

        // A streaming relay that stops writing on abort but never disposes the upstream response.
        app.MapGet("/fault/leaky-relay", async (HttpContext context, IHttpClientFactory clients) =>
        {
            var response = await clients.CreateClient("warehouse").GetAsync("/stock", HttpCompletionOption.ResponseHeadersRead);
            shop().Leftovers.Add(response);
            var upstream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[4096];
            try
            {
                int read;
                while ((read = await upstream.ReadAsync(buffer)) > 0)
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                // Stop writing to the client who left; the upstream response is forgotten, not disposed.
            }
        });
        app.MapGet("/twin/leaky-relay", async (HttpContext context, IHttpClientFactory clients) =>
        {
            var token = context.RequestAborted;
            using var response = await clients.CreateClient("warehouse").GetAsync("/stock", HttpCompletionOption.ResponseHeadersRead, token);
            await using var upstream = await response.Content.ReadAsStreamAsync(token);
            await upstream.CopyToAsync(context.Response.Body, token);
        });

        // Detached work the request waits for: the wait ends with the abort, the work does not.
        app.MapGet("/fault/detached-awaited", async (HttpContext context, IBackgroundWorkQueue queue) =>
        {
            var leftovers = shop().Leftovers.Token;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await queue.QueueAsync("report", async token =>
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, leftovers);
                await Task.Delay(Long, linked.Token);
                done.TrySetResult();
            }, BackgroundWorkLifetime.Detached, context.RequestAborted);
            await done.Task.WaitAsync(context.RequestAborted);
        });
        app.MapGet("/twin/detached-awaited", async (HttpContext context, IBackgroundWorkQueue queue) =>
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await queue.QueueAsync("report", async token =>
            {
                await Task.Delay(Long, token);
                done.TrySetResult();
            }, BackgroundWorkLifetime.Request, context.RequestAborted);
            await done.Task.WaitAsync(context.RequestAborted);
        });

        // A correct endpoint that tracks nothing: the pipeline is its work.
        app.MapGet("/twin/untracked", (HttpContext context) => Task.Delay(Long, context.RequestAborted));
    }

    private static WebApplication Build(string hop, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddAbortLab(o => o.HopName = hop);
        configure?.Invoke(builder);
        return builder.Build();
    }

    private static Uri AddressOf(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
}
