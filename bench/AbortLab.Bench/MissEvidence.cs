using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using AbortLab.IO;

namespace AbortLab.Bench;

/// <summary>
/// What the operating system said about the connection of an abort whose token never fired: the client's local port,
/// when an earlier sample last used that port (the kernel reuses ports of connections in TIME_WAIT on loopback when
/// <c>net.ipv4.tcp_tw_reuse</c> is 2, its default), the client socket's TCP state, and every /proc/net/tcp entry on
/// that port. Gathered at the moment of the miss, for the report.
/// </summary>
internal static class MissEvidence
{
    private static readonly ConcurrentDictionary<int, (int Id, long At)> LastUseOfPort = new();

    public static ConcurrentQueue<string> Notes { get; } = new();

    /// <summary>Notes which sample used the port, and returns what the previous sample on it was.</summary>
    public static (int Id, long At)? Used(int port, int id)
    {
        (int Id, long At)? previous = LastUseOfPort.TryGetValue(port, out var last) ? last : null;
        LastUseOfPort[port] = (id, Clock.Now);
        return previous;
    }

    public static void Record(int id, string path, Socket client, int port, (int Id, long At)? previousUse, string what)
    {
        var reuse = previousUse is { } previous
            ? string.Create(CultureInfo.InvariantCulture, $"port {port} last used by sample {previous.Id} {Clock.Ms(previous.At, Clock.Now):0} ms before")
            : $"port {port} not used before in this run";
        Notes.Enqueue($"Missed {path} (sample {id}): {what}; {reuse}; client socket {ClientState(client)}; /proc/net/tcp on that port: {string.Join(", ", Entries(port))}.");
    }

    private static string ClientState(Socket socket)
    {
        try
        {
            Span<byte> info = stackalloc byte[8];
            return socket.SafeHandle.IsClosed ? "closed by the client" : socket.GetRawSocketOption(6, 11, info) >= 1 ? StateName(info[0]) : "unknown";
        }
        catch (SocketException exception)
        {
            return exception.SocketErrorCode.ToString();
        }
        catch (ObjectDisposedException)
        {
            return "closed";
        }
    }

    private static IEnumerable<string> Entries(int port) => SocketTable.ReadAllSockets()
        .Where(s => s.LocalPort == port || s.RemotePort == port)
        .Select(s => $"{s.Local}→{s.Remote} {s.State}");

    private static string StateName(byte state) => state switch
    {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        _ => state.ToString(CultureInfo.InvariantCulture),
    };
}
