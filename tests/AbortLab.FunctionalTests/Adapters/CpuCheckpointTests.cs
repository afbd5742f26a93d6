using AbortLab.Cpu;
using AbortLab.Hosting;
using AbortLab.Telemetry;
using AbortLab.Testing;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AbortLab.FunctionalTests.Adapters;

public sealed class CpuCheckpointTests
{
    private static readonly MiddlewareHarness Services = new(timeProvider: TimeProvider.System);

    private const int Stride = 4096;

    private readonly Lazy<int[]> _dataSet;
    private int _loads;

    public CpuCheckpointTests()
    {
        _dataSet = new Lazy<int[]>(() =>
        {
            Interlocked.Increment(ref _loads);
            return Enumerable.Range(0, 4_000_000).ToArray();
        });
    }

    [Fact]
    public async Task AbortedQuery_StopsWithinOneStride_KeepsTheDataSet_AndTheNextQueryRuns()
    {
        var running = new Signal<string>();
        long passedAtAbort = -1;
        long passedAtStop = -1;
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapGet("/query", async (HttpContext context, int? rounds) =>
            {
                var scope = context.GetAbortScope();
                var data = _dataSet.Value;
                var sum = await scope.RunCpuBoundAsync("query", checkpoint =>
                {
                    long total = 0;
                    try
                    {
                        for (var round = 0; rounds is null || round < rounds; round++)
                        {
                            foreach (var value in data)
                            {
                                // Counted on the loop's own thread: another thread's read of the count may lag far
                                // behind once the loop is optimised.
                                if (passedAtAbort < 0 && scope.Token.IsCancellationRequested)
                                {
                                    passedAtAbort = checkpoint.Passed;
                                }

                                checkpoint.Check();
                                total += value;
                            }

                            running.Set(scope.RequestId);
                        }
                    }
                    finally
                    {
                        Volatile.Write(ref passedAtStop, checkpoint.Passed);
                    }

                    return total;
                }, Stride);
                return sum.ToString(System.Globalization.CultureInfo.InvariantCulture);
            });
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /query HTTP/1.1\r\nHost: test\r\n\r\n");
        var id = await running.WaitAsync();
        client.CloseWithFin();

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null);
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Equal(WorkOutcome.Canceled, timeline.Work.Single().Outcome);

        // The CPU spent after the abort is bounded: at most one stride of iterations, whatever the data set's size.
        Assert.InRange(Volatile.Read(ref passedAtStop) - Volatile.Read(ref passedAtAbort), 0, Stride);

        // The data set stayed loaded; the next query runs at once on it.
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var answer = await http.GetStringAsync("/query?rounds=1");
        Assert.Equal((4_000_000L * 3_999_999 / 2).ToString(System.Globalization.CultureInfo.InvariantCulture), answer);
        Assert.Equal(1, _loads);
    }

    [Fact]
    public async Task CpuBoundWork_RunsOffTheThreadPool_WhereKestrelDeliversAborts()
    {
        var scope = Services.NewScope();

        var onPoolThread = await scope.RunCpuBoundAsync("where", _ => Thread.CurrentThread.IsThreadPoolThread);

        Assert.False(onPoolThread);
    }

    [Fact]
    public void Checkpoint_LooksAtTheTokenOncePerStride()
    {
        using var source = new CancellationTokenSource();
        var checkpoint = new AbortCheckpoint(source.Token, stride: 3);
        checkpoint.Check();
        source.Cancel();
        checkpoint.Check();

        Assert.Throws<OperationCanceledException>(checkpoint.Check);
        Assert.Equal(3, checkpoint.Passed);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AbortCheckpoint(source.Token, 0));
    }
}
