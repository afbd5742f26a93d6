using Microsoft.Extensions.Logging;

namespace AbortLab.Connections;

/// <summary>Log messages of connection tracking. A client that goes away is normal: those are Debug.</summary>
internal static partial class ConnectionLog
{
    [LoggerMessage(EventIds.ConnectionLingerExpired, LogLevel.Debug, "Connection {ConnectionId} still open {LingerMs} ms after an aborted request; aborting it.", EventName = nameof(EventIds.ConnectionLingerExpired))]
    public static partial void ConnectionLingerExpired(ILogger logger, string connectionId, double lingerMs);
}
