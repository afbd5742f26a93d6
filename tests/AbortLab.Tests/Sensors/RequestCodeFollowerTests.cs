using AbortLab.Sensors;
using AbortLab.Testing;

namespace AbortLab.Tests.Sensors;

public sealed class RequestCodeFollowerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly MiddlewareHarness _services = new();

    [Fact]
    public async Task Thread_StartedByTheRequest_IsRecordedWhileItRunsAfterTheAbort()
    {
        var scope = NewTaggedScope();
        using var release = new ManualResetEventSlim();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Thread? thread = null;
        await Task.Run(() =>
        {
            RequestCodeFollower.Follow(scope.Timeline);
            thread = new Thread(() =>
            {
                started.SetResult();
                release.Wait(Timeout);
            }) { Name = "report-writer", IsBackground = true };
            thread.Start();
        });
        await started.Task.WaitAsync(Timeout);

        scope.Abort(AbortReason.ClientDisconnected);
        var running = Assert.Single(scope.Timeline.ToSnapshot().CodeAfterAbort);
        Assert.True(running.Running);
        Assert.Equal("report-writer", running.Thread);
        Assert.Equal("a new thread", running.StartedFrom);
        Assert.Null(running.LastRanAt);

        release.Set();
        thread!.Join(Timeout);
        var ended = Assert.Single(scope.Timeline.ToSnapshot().CodeAfterAbort);
        Assert.False(ended.Running);
        Assert.NotNull(ended.LastRanAt);
    }

    [Fact]
    public async Task TimerCallback_AfterTheAbort_IsRecordedAsATimer()
    {
        var scope = NewTaggedScope();
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Timer? timer = null;
        await Task.Run(() =>
        {
            RequestCodeFollower.Follow(scope.Timeline);
            timer = new Timer(_ => fired.TrySetResult(), null, System.Threading.Timeout.Infinite, System.Threading.Timeout.Infinite);
        });

        scope.Abort(AbortReason.ClientDisconnected);
        timer!.Change(0, System.Threading.Timeout.Infinite);
        await fired.Task.WaitAsync(Timeout);
        await timer.DisposeAsync();

        var run = await WaitForStoppedRunAsync(scope);
        Assert.Contains("a timer callback", run.StartedFrom, StringComparison.Ordinal);
        Assert.Equal("thread pool", run.Thread);
    }

    [Fact]
    public async Task TaskStartedAfterTheAbort_NamesTheMethodItRuns()
    {
        var scope = NewTaggedScope();
        scope.Abort(AbortReason.ClientDisconnected);

        await Task.Run(async () =>
        {
            RequestCodeFollower.Follow(scope.Timeline);
            await Task.Factory.StartNew(WriteReport, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
        });

        var runs = scope.Timeline.ToSnapshot().CodeAfterAbort;
        Assert.True(runs.Any(r => r.StartedFrom.Contains("RequestCodeFollowerTests.WriteReport", StringComparison.Ordinal)), string.Join(" | ", runs.Select(r => r.StartedFrom)));
    }

    [Fact]
    public async Task ThreadThatEndedBeforeTheAbort_IsNotRecorded()
    {
        var scope = NewTaggedScope();
        Thread? thread = null;
        await Task.Run(() =>
        {
            RequestCodeFollower.Follow(scope.Timeline);
            thread = new Thread(WriteReport) { Name = "report-writer" };
            thread.Start();
        });
        thread!.Join(Timeout);

        scope.Abort(AbortReason.ClientDisconnected);

        // The pool thread that started it may still be leaving the request's context: only the thread is judged.
        Assert.DoesNotContain(scope.Timeline.ToSnapshot().CodeAfterAbort, r => r.Thread == "report-writer");
    }

    public void Dispose() => _services.Dispose();

    private static void WriteReport() => GC.KeepAlive(new object());

    private static async Task<CodeRunRecord> WaitForStoppedRunAsync(AbortScope scope)
    {
        using var cancellation = new CancellationTokenSource(Timeout);
        while (true)
        {
            if (scope.Timeline.ToSnapshot().CodeAfterAbort is [{ Running: false } run])
            {
                return run;
            }

            // The callback's thread leaves the request's context just after the callback signalled.
            await Task.Delay(10, cancellation.Token);
        }
    }

    private AbortScope NewTaggedScope() =>
        _services.Factory.Create(new RequestDescription("0af7651916cd43dd8448eb211c80319c", "unit", "rig-tag", "GET", "/", "HTTP/1.1", null), null, null);
}
