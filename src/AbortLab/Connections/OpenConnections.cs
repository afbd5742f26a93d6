using System.Collections.Concurrent;

namespace AbortLab.Connections;

/// <summary>
/// The connections open now: the one set of them. Hosts that record into one timeline store share one set, so the
/// diagnostics API of any of them shows every hop's connections.
/// </summary>
internal sealed class OpenConnections
{
    private readonly ConcurrentDictionary<ConnectionTracker, byte> _open = new(ReferenceEqualityComparer.Instance);

    public int Count => _open.Count;

    public ICollection<ConnectionTracker> All => _open.Keys;

    public void Add(ConnectionTracker connection) => _open.TryAdd(connection, 0);

    public void Remove(ConnectionTracker connection) => _open.TryRemove(connection, out _);
}
