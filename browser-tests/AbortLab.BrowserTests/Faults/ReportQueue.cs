using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;

namespace AbortLab.BrowserTests.Faults;

/// <summary>
/// The shop's own queue into its own background service, as apps write them (not AbortLab's): a report the request
/// asks for is computed in bursts for two seconds. A job that carries the request's scope is run as the request's work.
/// </summary>
internal sealed class ReportQueue
{
    private readonly Channel<ReportJob> _jobs = Channel.CreateBounded<ReportJob>(16);

    public ChannelReader<ReportJob> Reader => _jobs.Reader;

    public ValueTask QueueAsync(ReportJob job, CancellationToken cancellationToken) => _jobs.Writer.WriteAsync(job, cancellationToken);
}

/// <param name="Leftovers">Stops the job when the test ends.</param>
/// <param name="Scope">The request's scope, handed over in one line (<c>AbortScope.Current</c>), or none.</param>
internal sealed record ReportJob(CancellationToken Leftovers, AbortScope? Scope);

internal sealed class ReportWorker(ReportQueue queue) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var job in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                if (job.Scope is { } scope)
                {
                    await scope.RunAsync("report", token => ComputeAsync(job, token));
                }
                else
                {
                    await ComputeAsync(job, stoppingToken);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    // Two seconds of bursts: 15 ms on a core, 35 ms waiting, far under the threshold of a loop.
    private static async Task ComputeAsync(ReportJob job, CancellationToken token)
    {
        var end = Stopwatch.GetTimestamp() + (2 * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end && !job.Leftovers.IsCancellationRequested)
        {
            Leftovers.Spin(token, job.Leftovers, TimeSpan.FromMilliseconds(15));
            await Task.Delay(TimeSpan.FromMilliseconds(35), token);
        }
    }
}
