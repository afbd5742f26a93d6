using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AbortLab.Connections;

/// <summary>
/// The open connections that carried requests through AbortLab, one <see cref="ConnectionTracker"/> each, kept in the
/// connection's own items so that every request on it finds the same tracker.
/// </summary>
internal sealed class ConnectionRegistry
{
    private static readonly object ItemsKey = typeof(ConnectionTracker);

    private readonly OpenConnections _open;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public ConnectionRegistry(OpenConnections open, TimeProvider timeProvider, ILogger<ConnectionRegistry> logger)
    {
        _open = open;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public int OpenCount => _open.Count;

    public ICollection<ConnectionTracker> Open => _open.All;

    /// <summary>
    /// The tracker of the request's connection, or null where the server exposes no connection lifetime
    /// (TestServer, some transports).
    /// </summary>
    public ConnectionTracker? GetOrCreate(HttpContext context, out IConnectionLifetimeFeature? lifetime)
    {
        var features = context.Features;
        var items = features.Find<IConnectionItemsFeature>()?.Items;
        lifetime = features.Find<IConnectionLifetimeFeature>();
        if (items is null || lifetime is null)
        {
            return null;
        }

        ConnectionTracker tracker;
        lock (items)
        {
            if (items.TryGetValue(ItemsKey, out var existing) && existing is ConnectionTracker found)
            {
                return found;
            }

            var connectionId = features.Get<IConnectionIdFeature>()?.ConnectionId ?? context.Connection.Id;
            tracker = new ConnectionTracker(
                this,
                connectionId,
                context.Request.Protocol,
                HttpProtocol.IsHttp10(context.Request.Protocol) || HttpProtocol.IsHttp11(context.Request.Protocol),
                lifetime,
                features.Get<IConnectionLifetimeNotificationFeature>(),
                _timeProvider,
                _logger);
            items[ItemsKey] = tracker;
            _open.Add(tracker);
        }

        tracker.Start();
        return tracker;
    }

    public void Remove(ConnectionTracker tracker)
    {
        _open.Remove(tracker);
    }
}
