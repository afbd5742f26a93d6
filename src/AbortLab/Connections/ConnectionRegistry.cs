using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AbortLab;

/// <summary>
/// The open connections that carried requests through AbortLab, one <see cref="ConnectionTracker"/> each, kept in the
/// connection's own items so that every request on it finds the same tracker.
/// </summary>
internal sealed class ConnectionRegistry
{
    private static readonly object ItemsKey = typeof(ConnectionTracker);

    private readonly ConcurrentDictionary<ConnectionTracker, byte> _open = new(ReferenceEqualityComparer.Instance);
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly TimelineStore? _store;

    public ConnectionRegistry(TimeProvider timeProvider, ILoggerFactory loggerFactory, TimelineStore? store = null)
    {
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger("AbortLab");
        _store = store;
    }

    public int OpenCount => _open.Count;

    public ICollection<ConnectionTracker> Open => _open.Keys;

    /// <summary>
    /// The tracker of the request's connection, or null where the server exposes no connection lifetime
    /// (TestServer, some transports).
    /// </summary>
    public ConnectionTracker? GetOrCreate(HttpContext context)
    {
        var features = context.Features;
        var items = features.Get<IConnectionItemsFeature>()?.Items;
        var lifetime = features.Get<IConnectionLifetimeFeature>();
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
            _open.TryAdd(tracker, 0);
            _store?.ConnectionOpened(tracker);
        }

        tracker.Start();
        return tracker;
    }

    public void Remove(ConnectionTracker tracker)
    {
        _open.TryRemove(tracker, out _);
        _store?.ConnectionClosed(tracker);
    }
}
