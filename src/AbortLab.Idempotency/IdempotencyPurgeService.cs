using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AbortLab.Idempotency;

/// <summary>
/// Deletes expired idempotency keys every <see cref="IdempotencyOptions.PurgeInterval"/>, so the store holds no more
/// than the keys of one expiry period.
/// </summary>
internal sealed class IdempotencyPurgeService(IIdempotencyStore store, IOptionsMonitor<IdempotencyOptions> options, TimeProvider timeProvider, ILogger<IdempotencyPurgeService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var purged = await store.PurgeExpiredAsync(stoppingToken);
                    IdempotencyLog.IdempotencyKeysPurged(logger, purged);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    IdempotencyLog.IdempotencyPurgeFailed(logger, exception);
                }

                await Task.Delay(options.CurrentValue.PurgeInterval, timeProvider, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }
}
