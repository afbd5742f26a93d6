using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AbortLab.Background;

/// <summary>
/// Runs queued background work on a hosted service. Work tied to a request is tracked on that request's timeline
/// from the moment it is queued, so the zombie watchdog and <c>abortToWorkStoppedMs</c> see it too.
/// </summary>
internal sealed class BackgroundWorkQueue : BackgroundService, IBackgroundWorkQueue
{
    private readonly Channel<QueuedWork> _queue;
    private readonly BackgroundWorkOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();

    public BackgroundWorkQueue(Func<BackgroundWorkOptions> options, ILogger<BackgroundWorkQueue> logger)
    {
        _options = options();
        _logger = logger;
        _queue = Channel.CreateBounded<QueuedWork>(new BoundedChannelOptions(_options.Capacity) { SingleReader = true });
    }

    public async ValueTask QueueAsync(string name, Func<CancellationToken, Task> work, BackgroundWorkLifetime lifetime = BackgroundWorkLifetime.Request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(work);
        if (!Enum.IsDefined(lifetime))
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "Unknown lifetime.");
        }

        TrackedWork? tracked = null;
        LiveTimeline.WorkEntry? detached = null;
        var requestTimeline = AbortScope.Current?.Timeline;
        if (lifetime == BackgroundWorkLifetime.Request)
        {
            var scope = AbortScope.Current ?? throw new InvalidOperationException(
                "Work tied to a request can only be queued while a request runs under 'app.UseAbortLab()'. Queue it with BackgroundWorkLifetime.Detached to run it on its own.");
            tracked = scope.Track($"background {name}");
        }
        else
        {
            // Shown on the request's timeline (the rig reports detached work an aborted request left running).
            detached = requestTimeline?.StartDetachedWork($"background {name}");
        }

        var item = new QueuedWork(name, work, tracked, detached is null ? null : new DetachedRecord(requestTimeline!, detached));
        try
        {
            await _queue.Writer.WriteAsync(item, cancellationToken);
        }
        catch (ChannelClosedException exception)
        {
            tracked?.Cancel();
            throw new InvalidOperationException("The host is stopping: no more background work is taken.", exception);
        }
        catch
        {
            tracked?.Cancel();
            throw;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _stopping.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(_options.MaxConcurrency);
        var running = new List<Task>();
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await slots.WaitAsync(stoppingToken);
                running.RemoveAll(static task => task.IsCompleted);
                running.Add(RunAsync(item, slots));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        while (_queue.Reader.TryRead(out var left))
        {
            left.Tracked?.Cancel();
            left.Detached?.End(WorkOutcome.Canceled, null);
        }

        await Task.WhenAll(running);
    }

    private async Task RunAsync(QueuedWork item, SemaphoreSlim slots)
    {
        await Task.Yield();
        try
        {
            using var linked = item.Tracked is null ? null : CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, item.Tracked.Token);
            var token = linked?.Token ?? _stopping.Token;
            if (token.IsCancellationRequested)
            {
                item.Tracked?.Cancel();
                item.Detached?.End(WorkOutcome.Canceled, null);
                return;
            }

            await item.Work(token);
            item.Tracked?.Complete();
            item.Detached?.End(WorkOutcome.Completed, null);
        }
        catch (Exception exception) when (exception is OperationCanceledException && (_stopping.IsCancellationRequested || item.Tracked?.Token.IsCancellationRequested == true))
        {
            item.Tracked?.Cancel();
            item.Detached?.End(WorkOutcome.Canceled, exception.GetType().Name);
            BackgroundWorkLog.BackgroundWorkCanceled(_logger, item.Name);
        }
        catch (Exception exception)
        {
            item.Tracked?.Fail(exception);
            item.Detached?.End(WorkOutcome.Faulted, exception.GetType().Name);
            BackgroundWorkLog.BackgroundWorkFailed(_logger, item.Name, exception);
        }
        finally
        {
            slots.Release();
        }
    }

    private sealed record QueuedWork(string Name, Func<CancellationToken, Task> Work, TrackedWork? Tracked, DetachedRecord? Detached);

    private sealed record DetachedRecord(LiveTimeline Timeline, LiveTimeline.WorkEntry Entry)
    {
        public void End(WorkOutcome outcome, string? error) => Timeline.EndWork(Entry, outcome, error);
    }
}
