using System.Net.Sockets;
using AbortLab.IO;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AbortLab.Uploads;

/// <summary>
/// One HTTP/1.x request whose body is not finished, as the <see cref="StalledUploadMonitor"/> sees it.
/// </summary>
internal sealed class PendingUpload
{
    private readonly object _gate = new();
    private readonly AbortScope _scope;
    private readonly ReadAheadRequestBody _body;
    private readonly IHttpRequestLifetimeFeature _serverLifetime;
    private readonly ILogger _logger;
    private Socket? _socket;
    private bool _ended;

    public PendingUpload(AbortScope scope, ReadAheadRequestBody body, Socket? socket, IHttpRequestLifetimeFeature serverLifetime, ILogger logger)
    {
        _scope = scope;
        _body = body;
        _socket = socket;
        _serverLifetime = serverLifetime;
        _logger = logger;
    }

    /// <summary>Called by the middleware when the request ends: from then on the probe must not touch it.</summary>
    public void End()
    {
        lock (_gate)
        {
            _ended = true;
        }
    }

    /// <summary>
    /// Checks the upload once. Returns true when there is nothing more to watch.
    /// </summary>
    public bool Check()
    {
        lock (_gate)
        {
            if (_ended || _scope.IsAborted || _body.IsBodyFinished)
            {
                return true;
            }

            if (_body.TryStartReadAhead())
            {
                UploadLog.ReadAheadStarted(_logger, _scope.TimelineId);
            }

            if (_socket is null)
            {
                return _body.IsReadingAhead;
            }

            string? peerGone;
            try
            {
                peerGone = SocketPeerProbe.FindPeerGone(_socket);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                UploadLog.UploadProbeFailed(_logger, _scope.TimelineId, exception);
                _socket = null;
                return _body.IsReadingAhead;
            }

            if (peerGone is null)
            {
                return false;
            }

            UploadLog.StalledUploadDetected(_logger, _scope.TimelineId, peerGone);
            _scope.Abort(AbortReason.ClientDisconnected, AbortDetection.SocketProbe);

            // The server is blocked on back-pressure and would not notice by itself: free the connection.
            _serverLifetime.Abort();
            return true;
        }
    }
}
