using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AbortLab.Testing;

/// <summary>
/// An HTTP/1.1 client on a bare socket, so a test decides exactly how the connection ends: FIN, RST or half-close.
/// </summary>
internal sealed class RawHttpConnection : IDisposable
{
    private readonly byte[] _receiveBuffer = new byte[64 * 1024];
    private readonly MemoryStream _pending = new();

    private RawHttpConnection(Socket socket)
    {
        Socket = socket;
    }

    public Socket Socket { get; }

    public static async Task<RawHttpConnection> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawHttpConnection(socket);
    }

    public async Task SendAsync(string text) => await SendAsync(Encoding.ASCII.GetBytes(text));

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await Socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    /// <summary>
    /// Sends without blocking until the kernel will take no more for <paramref name="stallTimeout"/> (the server has
    /// stopped reading) or all is sent. Returns how many bytes the kernel accepted.
    /// </summary>
    public long SendUntilStalled(ReadOnlyMemory<byte> bytes, TimeSpan stallTimeout)
    {
        Socket.Blocking = false;
        long accepted = 0;
        try
        {
            while (!bytes.IsEmpty)
            {
                var sent = Socket.Send(bytes.Span, SocketFlags.None, out var error);
                if (error == SocketError.WouldBlock)
                {
                    // Waits on writability, not on a clock: returns as soon as the server reads again.
                    if (!Socket.Poll(stallTimeout, SelectMode.SelectWrite))
                    {
                        break;
                    }

                    continue;
                }

                if (error != SocketError.Success)
                {
                    throw new SocketException((int)error);
                }

                accepted += sent;
                bytes = bytes[sent..];
            }
        }
        finally
        {
            Socket.Blocking = true;
        }

        return accepted;
    }

    /// <summary>Reads the status line and headers; the bytes after them stay for <see cref="ReadBodyAsync"/>.</summary>
    public async Task<RawResponseHead> ReadHeadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var buffered = _pending.ToArray();
            var end = IndexOf(buffered, "\r\n\r\n"u8);
            if (end >= 0)
            {
                var head = Encoding.ASCII.GetString(buffered, 0, end);
                _pending.SetLength(0);
                _pending.Write(buffered, end + 4, buffered.Length - end - 4);
                return RawResponseHead.Parse(head);
            }

            if (await ReceiveAsync(cancellationToken) == 0)
            {
                throw new IOException($"The server closed the connection before the response headers ended. Received: {Encoding.ASCII.GetString(buffered)}");
            }
        }
    }

    /// <summary>Reads exactly <paramref name="length"/> body bytes.</summary>
    public async Task<byte[]> ReadBodyAsync(int length, CancellationToken cancellationToken = default)
    {
        while (_pending.Length < length)
        {
            if (await ReceiveAsync(cancellationToken) == 0)
            {
                throw new IOException("The server closed the connection before the body ended.");
            }
        }

        var buffered = _pending.ToArray();
        _pending.SetLength(0);
        _pending.Write(buffered, length, buffered.Length - length);
        return buffered[..length];
    }

    /// <summary>Reads until the server closes its side; returns the bytes read in the meantime.</summary>
    public async Task<long> ReadToEndAsync(CancellationToken cancellationToken = default)
    {
        long total = _pending.Length;
        _pending.SetLength(0);
        int read;
        while ((read = await Socket.ReceiveAsync(_receiveBuffer, SocketFlags.None, cancellationToken)) > 0)
        {
            total += read;
        }

        return total;
    }

    /// <summary>Reads every byte until the server ends the connection, by FIN or by RST.</summary>
    public async Task<byte[]> ReadAllUntilClosedAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            while (await ReceiveAsync(cancellationToken) > 0)
            {
            }
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        var received = _pending.ToArray();
        _pending.SetLength(0);
        return received;
    }

    /// <summary>A plain close: FIN, once all sent bytes are out (RST instead if unread bytes wait in the receive buffer).</summary>
    public void CloseWithFin() => Socket.Close();

    /// <summary>SO_LINGER 0 then close: RST at once.</summary>
    public void CloseWithRst()
    {
        Socket.LingerState = new LingerOption(true, 0);
        Socket.Close();
    }

    public void End(ConnectionEnd end)
    {
        switch (end)
        {
            case ConnectionEnd.Fin:
                CloseWithFin();
                break;
            case ConnectionEnd.Rst:
                CloseWithRst();
                break;
            default:
                HalfClose();
                break;
        }
    }

    /// <summary>Shuts the sending side only: FIN, while the client keeps reading.</summary>
    public void HalfClose() => Socket.Shutdown(SocketShutdown.Send);

    public void Dispose()
    {
        Socket.Dispose();
        _pending.Dispose();
    }

    private async Task<int> ReceiveAsync(CancellationToken cancellationToken)
    {
        var read = await Socket.ReceiveAsync(_receiveBuffer, SocketFlags.None, cancellationToken);
        _pending.Write(_receiveBuffer, 0, read);
        return read;
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);
}
