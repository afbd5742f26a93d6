using System.Net.Sockets;

namespace AbortLab.IO;

/// <summary>
/// Asks the operating system whether the peer of a TCP socket is gone, without reading from it. On Linux the socket's
/// TCP_INFO state tells it: CLOSE after an RST, CLOSE_WAIT after a FIN the server has not read. Elsewhere a
/// zero-timeout poll sees a pending error, or an end of stream with nothing left to read.
/// </summary>
internal static class SocketPeerProbe
{
    // include/net/tcp_states.h
    private const byte TcpClose = 7;
    private const byte TcpCloseWait = 8;
    private const byte TcpLastAck = 9;

    /// <summary>
    /// Returns the state that shows the peer is gone (such as <c>CLOSE</c>), or null while it is not known to be.
    /// </summary>
    /// <exception cref="SocketException">The socket cannot be asked (not TCP, or closed).</exception>
    public static string? FindPeerGone(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            Span<byte> info = stackalloc byte[8];
            var length = socket.GetRawSocketOption(TcpInfo.Level, TcpInfo.Option, info);
            if (length >= 1)
            {
                return info[0] switch
                {
                    TcpClose => "CLOSE",
                    TcpCloseWait => "CLOSE_WAIT",
                    TcpLastAck => "LAST_ACK",
                    _ => null,
                };
            }
        }

        if (socket.Poll(0, SelectMode.SelectError))
        {
            return "ERROR";
        }

        return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0 ? "EOF" : null;
    }
}
