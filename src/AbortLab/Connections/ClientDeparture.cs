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
    private readonly IConnectionLifetimeFeature? _connectionLifetime;
    private IFeatureCollection? _features;
    private CancellationToken _serverToken;

    public ClientDeparture(IFeatureCollection features, IConnectionLifetimeFeature? connectionLifetime, CancellationToken serverToken)
    {
        _features = features;
        _connectionLifetime = connectionLifetime;
        _serverToken = serverToken;
    }

    /// <summary>
    /// Forgets the server's token when the request ends: Kestrel reuses its source for the next request on the
    /// connection, so it would speak for another request.
    /// </summary>
    public void RequestEnded()
    {
        _serverToken = default;
        _features = null;
    }

    public readonly bool IsEvident()
    {
        if (_serverToken.IsCancellationRequested || _connectionLifetime?.ConnectionClosed.IsCancellationRequested == true)
        {
            return true;
        }

        // The socket is looked up only when evidence is wanted (an I/O failure), not for every request; once the
        // request ended, its features are the server's again.
        if (_features?.Find<IConnectionSocketFeature>()?.Socket is not { } socket)
        {
            return false;
        }

        try
        {
            return SocketPeerProbe.FindPeerGone(socket) is not null;
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
