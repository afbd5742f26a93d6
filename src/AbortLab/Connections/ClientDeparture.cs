using System.Net.Sockets;
using AbortLab.IO;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace AbortLab.Connections;

/// <summary>
/// Evidence, taken from the connection rather than from an exception's text, that the client of one request has
/// left. Kestrel's body reader can throw "unexpected end of request content" before its request-aborted token fires,
/// and the same exception type also means "body too large": only the connection tells the two apart.
/// </summary>
/// <remarks>A struct kept inside the request's feature: one object less per request.</remarks>
internal struct ClientDeparture
{
    private readonly Socket? _socket;
    private readonly IConnectionLifetimeFeature? _connectionLifetime;
    private CancellationToken _serverToken;

    // The socket is taken now, on the request's thread: evidence is asked for from the read-ahead pump too, which must
    // not read a feature collection the request may be writing.
    public ClientDeparture(IFeatureCollection features, IConnectionLifetimeFeature? connectionLifetime, CancellationToken serverToken)
    {
        _socket = features.Find<IConnectionSocketFeature>()?.Socket;
        _connectionLifetime = connectionLifetime;
        _serverToken = serverToken;
    }

    /// <summary>
    /// Forgets the server's token when the request ends: Kestrel reuses its source for the next request on the
    /// connection, so it would speak for another request.
    /// </summary>
    public void RequestEnded() => _serverToken = default;

    public readonly bool IsEvident()
    {
        if (_serverToken.IsCancellationRequested || _connectionLifetime?.ConnectionClosed.IsCancellationRequested == true)
        {
            return true;
        }

        if (_socket is null)
        {
            return false;
        }

        try
        {
            return SocketPeerProbe.FindPeerGone(_socket) is not null;
        }
        catch (ObjectDisposedException)
        {
            // The server has closed the socket already: the connection is over.
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
