using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AbortLab.Uploads;

/// <summary>
/// Checks every pending upload on one shared timer, which runs only while there are uploads to watch.
/// </summary>
internal sealed class StalledUploadMonitor : IDisposable
{
    private readonly ConcurrentDictionary<PendingUpload, byte> _pending = new(ReferenceEqualityComparer.Instance);
    private readonly object _timerGate = new();
    private readonly TimeProvider _timeProvider;
    private readonly Func<StalledUploadOptions> _options;
    private readonly ILogger _logger;
    private ITimer? _timer;
    private TimeSpan _interval;
    private int _checking;
    private bool _disposed;

    public StalledUploadMonitor(TimeProvider timeProvider, Func<StalledUploadOptions> options, ILogger<StalledUploadMonitor> logger)
    {
        _timeProvider = timeProvider;
        _options = options;
        _logger = logger;
    }

    /// <summary>
    /// Starts watching the request's upload, when it has one and the connection is HTTP/1.x: HTTP/2 keeps reading
    /// the connection whatever a stream's window is, so only HTTP/1.x hides an abort behind an unread body.
    /// </summary>
    /// <remarks>Without a server's lifetime feature there is no connection to abort, so nothing to watch.</remarks>
    public WatchedUpload? Begin(HttpContext context, AbortScope scope, IHttpRequestLifetimeFeature? serverLifetime, bool isHttp1, bool isUpgradeRequest)
    {
        var options = _options();
        if (!isHttp1 || serverLifetime is null || (!options.ProbeEnabled && !options.ReadAheadEnabled) || isUpgradeRequest || context.Features.Find<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != true)
        {
            return null;
        }

        return Watch(context, scope, serverLifetime, options);
    }

    // Apart from Begin, so that a request without an upload allocates none of the closures below.
    private WatchedUpload Watch(HttpContext context, AbortScope scope, IHttpRequestLifetimeFeature serverLifetime, StalledUploadOptions options)
    {
        var features = context.Features;
        var bodyControl = features.Get<IHttpBodyControlFeature>();
        var originalBody = context.Request.Body;
        var serverReader = features.Get<IRequestBodyPipeFeature>()?.Reader is { } reader ? new ServerBodyReader(reader, serverLifetime.Abort) : null;
        var body = new ReadAheadRequestBody(
            originalBody,
            serverReader,
            options,
            () => bodyControl?.AllowSynchronousIO == true,
            exception => OnReadAheadFailed(scope, exception),
            scope.Token);
        context.Request.Body = body;

        var socket = options.ProbeEnabled ? features.Get<IConnectionSocketFeature>()?.Socket : null;
        var pending = new PendingUpload(scope, body, socket, serverLifetime, _logger);
        Watch(pending, options.ProbeInterval);
        return new WatchedUpload(pending, body, originalBody);
    }

    /// <summary>Stops watching and puts the original body back; <see cref="ReleaseAsync"/> then frees the read-ahead.</summary>
    public void End(HttpContext context, WatchedUpload upload)
    {
        upload.Pending.End();
        Unwatch(upload.Pending);
        context.Request.Body = upload.OriginalBody;
    }

    /// <summary>
    /// Stops the read-ahead and frees its spool: AbortLab's own clean-up, awaited after the request's timeline is
    /// complete (under an abort storm it took a second, and the watchdog took it for the app's pipeline).
    /// </summary>
    public static ValueTask ReleaseAsync(WatchedUpload upload) => upload.Body.ReleaseAsync();

    public int Count => _pending.Count;

    public void Watch(PendingUpload upload, TimeSpan interval)
    {
        _pending.TryAdd(upload, 0);
        lock (_timerGate)
        {
            if (_disposed)
            {
                return;
            }

            if (_timer is null)
            {
                _interval = interval;
                _timer = NonCapturingTimer.Create(_timeProvider, static state => ((StalledUploadMonitor)state!).CheckAll(), this, interval, interval);
            }
            else if (_interval != interval)
            {
                _interval = interval;
                _timer.Change(interval, interval);
            }
        }
    }

    public void Unwatch(PendingUpload upload) => _pending.TryRemove(upload, out _);

    public void Dispose()
    {
        lock (_timerGate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void CheckAll()
    {
        if (Interlocked.Exchange(ref _checking, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var upload in _pending.Keys)
            {
                if (upload.Check())
                {
                    _pending.TryRemove(upload, out _);
                }
            }

            lock (_timerGate)
            {
                if (_pending.IsEmpty)
                {
                    _timer?.Dispose();
                    _timer = null;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }

    // The connection ended under the pump: the client is gone even if the server has not said so yet.
    private static void OnReadAheadFailed(AbortScope scope, Exception exception) =>
        scope.AttributeToClientDeparture(exception, AbortDetection.ReadAhead);
}
