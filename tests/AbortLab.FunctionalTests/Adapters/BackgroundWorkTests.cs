using AbortLab.Background;
using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AbortLab.FunctionalTests.Adapters;

public sealed class BackgroundWorkTests
{
    [Fact]
    public async Task WorkTiedToTheRequest_StopsWithItsAbort_WhileDetachedWorkRunsOn()
    {
        var started = new Signal<string>();
        var tiedStarted = new Signal();
        var tiedStopped = new Signal();
        var detachedStarted = new Signal();
        var releaseDetached = new Signal();
        var detachedFinished = new Signal<bool>();
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapGet("/queue", async (HttpContext context, IBackgroundWorkQueue queue) =>
            {
                var scope = context.GetAbortScope();
                await queue.QueueAsync("tied", async token =>
                {
                    tiedStarted.Set();
                    try
                    {
                        await Task.Delay(Timeout.Infinite, token);
                    }
                    finally
                    {
                        tiedStopped.Set();
                    }
                });
                await queue.QueueAsync("detached", async token =>
                {
                    detachedStarted.Set();
                    await releaseDetached.WaitAsync();
                    detachedFinished.Set(token.IsCancellationRequested);
                }, BackgroundWorkLifetime.Detached);
                started.Set(scope.RequestId);
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            });
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /queue HTTP/1.1\r\nHost: test\r\n\r\n");
        var id = await started.WaitAsync();
        await tiedStarted.WaitAsync();
        await detachedStarted.WaitAsync();

        client.CloseWithFin();

        await tiedStopped.WaitAsync();
        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.AbortToWorkStoppedMs is not null);
        var tied = Assert.Single(timeline.Work);
        Assert.Equal("background tied", tied.Name);
        Assert.Equal(WorkOutcome.Canceled, tied.Outcome);

        // The request is over; the detached work is not.
        Assert.False(detachedFinished.IsSet);
        releaseDetached.Set();
        Assert.False(await detachedFinished.WaitAsync());
    }

    [Fact]
    public async Task DetachedWork_IsCancelledWhenTheHostStops()
    {
        var running = new Signal();
        var cancelled = new Signal();
        await using var host = await KestrelTestHost.StartAsync(app => app.UseAbortLab());
        var queue = host.Services.GetRequiredService<IBackgroundWorkQueue>();

        await queue.QueueAsync("forever", async token =>
        {
            running.Set();
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            finally
            {
                cancelled.Set();
            }
        }, BackgroundWorkLifetime.Detached);
        await running.WaitAsync();
        await host.StopAsync();

        await cancelled.WaitAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await queue.QueueAsync("late", _ => Task.CompletedTask, BackgroundWorkLifetime.Detached));
    }

    [Fact]
    public async Task TiedWork_OutsideARequest_FailsWithTheFixInTheMessage()
    {
        await using var host = await KestrelTestHost.StartAsync(app => app.UseAbortLab());
        var queue = host.Services.GetRequiredService<IBackgroundWorkQueue>();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await queue.QueueAsync("orphan", _ => Task.CompletedTask));

        Assert.Contains("BackgroundWorkLifetime.Detached", error.Message, StringComparison.Ordinal);
    }
}
