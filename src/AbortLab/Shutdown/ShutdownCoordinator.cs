using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AbortLab;

/// <summary>
/// Drains before the server stops: as the host begins to stop, new requests get 503 with <c>Retry-After</c> and
/// <c>Connection: close</c>; streams (SSE, WebSocket) are told at once, so they send their <c>shutdown</c> event or
/// close frame; in-flight requests may finish until <see cref="ShutdownOptions.DrainTimeout"/>, then the rest is
/// aborted with <see cref="AbortReason.ServerShutdown"/>. Runs in <see cref="IHostedLifecycleService.StoppingAsync"/>,
/// before Kestrel stops, so clients are still answered while it drains.
/// </summary>
internal sealed class ShutdownCoordinator : IHostedLifecycleService
{
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(1);

    private readonly AbortScopeFactory _scopes;
    private readonly TimelineStore _store;
    private readonly IOptionsMonitor<AbortLabOptions> _options;
    private readonly HostOptions _hostOptions;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly string _hop;

    public ShutdownCoordinator(
        AbortScopeFactory scopes,
        TimelineStore store,
        IOptionsMonitor<AbortLabOptions> options,
        IOptions<HostOptions> hostOptions,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        IHostEnvironment? environment = null)
    {
        _scopes = scopes;
        _store = store;
        _options = options;
        _hostOptions = hostOptions.Value;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger("AbortLab");
        _hop = options.CurrentValue.HopName ?? environment?.ApplicationName ?? "app";
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var shutdown = _options.CurrentValue.Shutdown;
        if (shutdown.DrainEnabled && shutdown.DrainTimeout + AbortGrace >= _hostOptions.ShutdownTimeout)
        {
            throw new InvalidOperationException(
                $"AbortLabOptions.Shutdown.DrainTimeout ({shutdown.DrainTimeout.TotalSeconds} s) plus a {AbortGrace.TotalSeconds} s grace must be shorter than " +
                $"HostOptions.ShutdownTimeout ({_hostOptions.ShutdownTimeout.TotalSeconds} s), or the host would cut connections before the drain ends. " +
                "Lower the drain timeout or raise the shutdown timeout (builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ...)).");
        }

        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var shutdown = _options.CurrentValue.Shutdown;
        if (!shutdown.DrainEnabled)
        {
            return;
        }

        var startedAt = _timeProvider.GetUtcNow();
        _scopes.BeginDrain();
        var inFlight = _scopes.LiveScopes.ToArray();
        var streams = inFlight.Where(scope => scope.IsStream).ToArray();
        foreach (var stream in streams)
        {
            stream.Abort(AbortReason.ServerShutdown, AbortDetection.Host);
        }

        await _scopes.WaitUntilIdleAsync(shutdown.DrainTimeout, cancellationToken);

        // AbortScope keeps reference equality: the set compares by identity.
        var remaining = _scopes.LiveScopes.ToHashSet();
        foreach (var scope in remaining)
        {
            scope.Abort(AbortReason.ServerShutdown, AbortDetection.Host);
        }

        if (remaining.Count > 0)
        {
            await _scopes.WaitUntilIdleAsync(AbortGrace, cancellationToken);
        }

        var report = new ShutdownReport
        {
            Hop = _hop,
            StartedAt = startedAt,
            CompletedAt = _timeProvider.GetUtcNow(),
            StreamsNotified = streams.Length,
            StreamsAcknowledged = streams.Count(stream => !remaining.Contains(stream)),
            RequestsDrained = inFlight.Count(scope => !scope.IsStream && !remaining.Contains(scope)),
            RequestsAborted = remaining.Count(scope => !scope.IsStream),
            ZombiesLeft = _scopes.LiveCount,
            RequestsRefused = _scopes.RefusedWhileDraining,
        };
        AbortLabLog.ShutdownReported(_logger, report.Hop, report.StreamsNotified, report.StreamsAcknowledged, report.RequestsDrained, report.RequestsAborted, report.ZombiesLeft, report.RequestsRefused);
        _store.RecordShutdown(report);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
