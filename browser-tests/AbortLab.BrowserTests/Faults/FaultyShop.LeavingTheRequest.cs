using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AbortLab.BrowserTests.Faults;

/// <summary>
/// Faults whose work leaves the request before it misbehaves: a thread, a timer, an <c>async void</c>, a completion
/// callback, a task that saves seconds later, CPU in bursts, a raw socket. Each twin hands the work the request's token.
/// </summary>
internal sealed partial class FaultyShop
{
    private static readonly TimeSpan Beat = TimeSpan.FromMilliseconds(100);

    private static void MapWorkThatLeavesTheRequest(WebApplication app, Func<FaultyShop> shop)
    {
        // A report writer on a thread of its own, appending a line a beat.
        app.MapGet("/fault/report-thread", (HttpContext context) => StartReportThread(shop(), CancellationToken.None, context.RequestAborted));
        app.MapGet("/twin/report-thread", (HttpContext context) => StartReportThread(shop(), context.RequestAborted, context.RequestAborted));

        // A timer that polls the warehouse a beat.
        app.MapGet("/fault/poll-timer", (HttpContext context, IHttpClientFactory clients) => StartPolling(shop(), clients, stopOn: null, context.RequestAborted));
        app.MapGet("/twin/poll-timer", (HttpContext context, IHttpClientFactory clients) => StartPolling(shop(), clients, stopOn: context.RequestAborted, context.RequestAborted));

        // An async void audit that pings the warehouse a beat.
        app.MapGet("/fault/async-void", async (HttpContext context, IHttpClientFactory clients) =>
        {
            Audit(clients, CancellationToken.None, shop().Leftovers.Token);
            await Task.Delay(Long, context.RequestAborted);
        });
        app.MapGet("/twin/async-void", async (HttpContext context, IHttpClientFactory clients) =>
        {
            Audit(clients, context.RequestAborted, shop().Leftovers.Token);
            await Task.Delay(Long, context.RequestAborted);
        });

        // A completion callback that goes on pinging the warehouse once the response ended.
        app.MapGet("/fault/completion-callback", async (HttpContext context, IHttpClientFactory clients) =>
        {
            var leftovers = shop().Leftovers.Token;
            context.Response.OnCompleted(() => PingForAWhileAsync(clients, CancellationToken.None, leftovers));
            await Task.Delay(Long, context.RequestAborted);
        });
        app.MapGet("/twin/completion-callback", async (HttpContext context, IHttpClientFactory clients) =>
        {
            var leftovers = shop().Leftovers.Token;
            var token = context.RequestAborted;
            context.Response.OnCompleted(() => token.IsCancellationRequested ? Task.CompletedTask : PingForAWhileAsync(clients, token, leftovers));
            await Task.Delay(Long, token);
        });

        // Work that saves an order two seconds later, after the verdict was given.
        app.MapPost("/fault/late-save", async (HttpContext context, IServiceScopeFactory scopes, string item) =>
        {
            shop().Leftovers.Add(Task.Run(() => SaveLaterAsync(scopes, item, CancellationToken.None)));
            await Task.Delay(Long, context.RequestAborted);
        });
        app.MapPost("/twin/late-save", async (HttpContext context, IServiceScopeFactory scopes, string item) =>
        {
            var token = context.RequestAborted;
            shop().Leftovers.Add(Task.Run(() => SaveLaterAsync(scopes, item, token), CancellationToken.None));
            await Task.Delay(Long, token);
        });

        // CPU in bursts with pauses between them: far under a core on average.
        app.MapGet("/fault/bursty-cpu", async (HttpContext context) =>
        {
            var leftovers = shop().Leftovers;
            leftovers.Add(Task.Run(() => BurstAsync(CancellationToken.None, leftovers.Token)));
            await Task.Delay(Long, context.RequestAborted);
        });
        app.MapGet("/twin/bursty-cpu", async (HttpContext context) =>
        {
            var leftovers = shop().Leftovers;
            var token = context.RequestAborted;
            leftovers.Add(Task.Run(() => BurstAsync(token, leftovers.Token), CancellationToken.None));
            await Task.Delay(Long, token);
        });

        // A report queued to the shop's own background service: the worker computes it for a client that left.
        app.MapGet("/fault/queued-report", async (HttpContext context, ReportQueue reports) =>
        {
            await reports.QueueAsync(new ReportJob(shop().Leftovers.Token, Scope: null), context.RequestAborted);
            await Task.Delay(Long, context.RequestAborted);
        });
        app.MapGet("/twin/queued-report", async (HttpContext context, ReportQueue reports) =>
        {
            await reports.QueueAsync(new ReportJob(shop().Leftovers.Token, AbortScope.Current), context.RequestAborted);
            await Task.Delay(Long, context.RequestAborted);
        });

        // A raw socket that goes on reading the warehouse's stock stream, steadily, so nothing queues.
        app.MapGet("/fault/raw-socket", async (HttpContext context) =>
        {
            var leftovers = shop().Leftovers;
            leftovers.Add(Task.Run(() => ReadStockAsync(shop().WarehouseAddress, CancellationToken.None, leftovers.Token)));
            await Task.Delay(Long, context.RequestAborted);
        });
        app.MapGet("/twin/raw-socket", async (HttpContext context) =>
        {
            var leftovers = shop().Leftovers;
            var token = context.RequestAborted;
            leftovers.Add(Task.Run(() => ReadStockAsync(shop().WarehouseAddress, token, leftovers.Token), CancellationToken.None));
            await Task.Delay(Long, token);
        });
    }

    private static async Task StartReportThread(FaultyShop shop, CancellationToken token, CancellationToken requestAborted)
    {
        var leftovers = shop.Leftovers.Token;
        var file = Path.Combine(shop.Directory, $"report-{Guid.NewGuid():N}.txt");
        var thread = new Thread(() =>
        {
            var end = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
            while (!token.IsCancellationRequested && !leftovers.IsCancellationRequested && Stopwatch.GetTimestamp() < end)
            {
                File.AppendAllText(file, "stock line\n");
                token.WaitHandle.WaitOne(Beat);
            }
        }) { Name = "report-writer", IsBackground = true };
        thread.Start();
        await Task.Delay(Long, requestAborted);
    }

    private static async Task StartPolling(FaultyShop shop, IHttpClientFactory clients, CancellationToken? stopOn, CancellationToken requestAborted)
    {
        var client = clients.CreateClient("warehouse");
        var token = stopOn ?? CancellationToken.None;
        var timer = new Timer(_ => _ = client.GetAsync("/ping", token).ContinueWith(static t => t.Exception, TaskScheduler.Default), null, Beat, Beat);
        shop.Leftovers.Add(timer);
        using var stop = stopOn?.Register(() => timer.Dispose());
        await Task.Delay(Long, requestAborted);
    }

    private static async void Audit(IHttpClientFactory clients, CancellationToken token, CancellationToken leftovers)
    {
        try
        {
            await PingForAWhileAsync(clients, token, leftovers);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task PingForAWhileAsync(IHttpClientFactory clients, CancellationToken token, CancellationToken leftovers)
    {
        var client = clients.CreateClient("warehouse");
        for (var i = 0; i < 600 && !leftovers.IsCancellationRequested; i++)
        {
            await Task.Delay(Beat, token);
            using var response = await client.GetAsync("/ping", token);
        }
    }

    private static async Task SaveLaterAsync(IServiceScopeFactory scopes, string item, CancellationToken token)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2), token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShopContext>();
        db.Orders.Add(new Order { Item = item });
        await db.SaveChangesAsync(token);
    }

    private static async Task BurstAsync(CancellationToken token, CancellationToken leftovers)
    {
        var end = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
        while (!token.IsCancellationRequested && !leftovers.IsCancellationRequested && Stopwatch.GetTimestamp() < end)
        {
            var burstEnd = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 50);
            while (Stopwatch.GetTimestamp() < burstEnd)
            {
                Leftovers.Spin(token, leftovers, TimeSpan.FromMilliseconds(1));
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(40), token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task ReadStockAsync(Uri warehouse, CancellationToken token, CancellationToken leftovers)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(warehouse.Host, warehouse.Port, token);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /stock HTTP/1.1\r\nHost: {warehouse.Authority}\r\nConnection: close\r\n\r\n"), token);
        var buffer = new byte[16 * 1024];
        try
        {
            while (!leftovers.IsCancellationRequested && await stream.ReadAsync(buffer, token) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
