using AbortLab.Telemetry;
using Microsoft.Extensions.Logging;

namespace AbortLab.Zombies;

/// <summary>
/// Looks again at every aborted scope after <see cref="ZombieOptions.Threshold"/>: what still runs is a zombie. If
/// the pipeline itself still runs after <see cref="ZombieOptions.AbortConnectionAfter"/>, the connection is aborted
/// so that at least the socket is freed.
/// </summary>
internal sealed class ZombieWatchdog
{
    private readonly TimeProvider _timeProvider;
    private readonly Func<ZombieOptions> _options;
    private readonly AbortLabMetrics _metrics;
    private readonly ILogger _logger;

    public ZombieWatchdog(TimeProvider timeProvider, Func<ZombieOptions> options, AbortLabMetrics metrics, ILogger<ZombieWatchdog> logger)
    {
        _timeProvider = timeProvider;
        _options = options;
        _metrics = metrics;
        _logger = logger;
    }

    public void Watch(AbortScope scope)
    {
        var options = _options();
        var state = new WatchState(this, scope, options);
        state.Timer = NonCapturingTimer.Create(_timeProvider, static s => ((WatchState)s!).OnThreshold(), state, options.Threshold, Timeout.InfiniteTimeSpan);
    }

    private sealed class WatchState(ZombieWatchdog watchdog, AbortScope scope, ZombieOptions options)
    {
        public ITimer? Timer { get; set; }

        public void OnThreshold()
        {
            Timer?.Dispose();

            // A stream closing with its client (a bounded handshake after the abort) is judged once that bound passed.
            var clock = watchdog._timeProvider;
            var goodbyeLeft = clock.GetElapsedTime(clock.GetTimestamp(), scope.GoodbyeUntil);
            if (goodbyeLeft > TimeSpan.Zero && !scope.Timeline.IsCompleted)
            {
                Timer = NonCapturingTimer.Create(clock, static s => ((WatchState)s!).OnThreshold(), this, goodbyeLeft + options.Threshold, Timeout.InfiniteTimeSpan);
                return;
            }

            var running = scope.Timeline.MarkZombieIfRunning();
            if (running is null)
            {
                return;
            }

            var reason = scope.Reason!.Value;
            watchdog._metrics.ZombieDetected(reason);
            ZombieLog.ZombieDetected(
                watchdog._logger,
                scope.TimelineId,
                scope.EndpointName,
                options.Threshold.TotalMilliseconds,
                reason,
                string.Join(", ", running));

            if (options.AbortConnection && !scope.Timeline.IsCompleted)
            {
                var rest = options.AbortConnectionAfter - options.Threshold;
                Timer = NonCapturingTimer.Create(watchdog._timeProvider, static s => ((WatchState)s!).OnAbortConnection(), this, rest > TimeSpan.Zero ? rest : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
        }

        private void OnAbortConnection()
        {
            Timer?.Dispose();
            if (!scope.Timeline.IsCompleted && scope.TryAbortConnection())
            {
                ZombieLog.ZombieConnectionAborted(watchdog._logger, scope.TimelineId, options.AbortConnectionAfter.TotalMilliseconds);
            }
        }
    }
}
