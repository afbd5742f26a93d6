using AbortLab.Timelines;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AbortLab.Shutdown;

/// <summary>
/// Drains before the server stops: as the host begins to stop, new requests get 503 with <c>Retry-After</c> and
/// <c>Connection: close</c>; streams (SSE, WebSocket) are told at once, so they send their <c>shutdown</c> event or
/// close frame; in-flight requests may finish until <see cref="ShutdownOptions.DrainTimeout"/>, then the rest is
/// aborted with <see cref="AbortReason.ServerShutdown"/>. Runs in <see cref="IHostedLifecycleService.StoppingAsync"/>,
/// before Kestrel stops, so clients are still answered while it drains.
/// </summary>
internal sealed class ShutdownCoordinator : IHostedLifecycleService, IDisposable
{
    private readonly LiveScopeRegistry _scopes;
    private readonly DrainGate _drain;
    private readonly TimelineStore _store;
    private readonly Func<ShutdownOptions> _options;
    private readonly HostOptions _hostOptions;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly HopName _hop;
    private readonly CancellationTokenRegistration _stopping;

    public ShutdownCoordinator(
        LiveScopeRegistry scopes,
        DrainGate drain,
        TimelineStore store,
        Func<ShutdownOptions> options,
        IOptions<HostOptions> hostOptions,
        TimeProvider timeProvider,
        ILogger<ShutdownCoordinator> logger,
        HopName hop,
        IHostApplicationLifetime lifetime)
    {
        _scopes = scopes;
        _drain = drain;
        _store = store;
        _options = options;
        _hostOptions = hostOptions.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _hop = hop;
        _stopping = lifetime.ApplicationStopping.UnsafeRegister(static state => ((ShutdownCoordinator)state!).OnStopping(), this);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var shutdown = _options();
        if (!shutdown.DrainEnabled)
        {
            return;
        }

        var startedAt = _timeProvider.GetUtcNow();
        _drain.BeginDrain();
        var inFlight = _scopes.Snapshot();
        var streams = inFlight.Where(scope => scope.IsStream).ToArray();
        foreach (var stream in streams)
        {
            stream.NotifyShutdown();
        }

        await _scopes.WaitUntilIdleAsync(shutdown.DrainTimeout, cancellationToken);

        // AbortScope keeps reference equality: the set compares by identity.
        var remaining = _scopes.Snapshot().ToHashSet();
        foreach (var scope in remaining)
        {
            scope.Abort(AbortReason.ServerShutdown, AbortDetection.Host);
        }

        if (remaining.Count > 0)
        {
            await _scopes.WaitUntilIdleAsync(ShutdownOptions.AbortGrace, cancellationToken);
        }

        var report = new ShutdownReport
        {
            Hop = _hop.Value,
            StartedAt = startedAt,
            CompletedAt = _timeProvider.GetUtcNow(),
            StreamsNotified = streams.Length,
            StreamsAcknowledged = streams.Count(stream => stream.ShutdownAcknowledged),
            RequestsDrained = inFlight.Count(scope => !scope.IsStream && !remaining.Contains(scope)),
            RequestsAborted = remaining.Count(scope => !scope.IsStream),
            ZombiesLeft = _scopes.Count,
            RequestsRefused = _drain.Refused,
        };
        ShutdownLog.ShutdownReported(_logger, report.Hop, report.StreamsNotified, report.StreamsAcknowledged, report.RequestsDrained, report.RequestsAborted, report.ZombiesLeft, report.RequestsRefused);
        _store.RecordShutdown(report);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _stopping.Dispose();

    private void OnStopping()
    {
        // With draining on, StoppingAsync decides who is aborted, and when.
        if (_options().DrainEnabled)
        {
            return;
        }

        var count = _scopes.CloseAndAbortAll();
        ShutdownLog.ShutdownAbortingScopes(_logger, count);
    }
}
