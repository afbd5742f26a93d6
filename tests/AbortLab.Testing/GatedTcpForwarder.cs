using System.Net;
using System.Net.Sockets;

namespace AbortLab.Testing;

/// <summary>
/// A real TCP hop on loopback in front of a server, as a pooler or firewall between an app and its database would
/// be: it forwards every connection until told to refuse new ones, which it then resets at once. It can also hold
/// what the client side of the connections already open sends (a slow network on the way in) while new connections
/// flow.
/// </summary>
public sealed class GatedTcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private int _refused;
    private int _accepted;
    private int _ended;
    private int _holdBelow;
    private int _heldReads;
    private TaskCompletionSource _released = Released();

    public GatedTcpForwarder(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Whether new connections are reset instead of forwarded; open ones keep flowing.</summary>
    public bool RefuseNew { get; set; }

    /// <summary>How many connections were reset.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>How many connections were forwarded.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>How many reads from the client side are waiting for <see cref="Release"/> (bytes on their way in, held).</summary>
    public int HeldReads => Volatile.Read(ref _heldReads);

    /// <summary>How many forwarded connections the server has closed.</summary>
    public int EndedByServer => Volatile.Read(ref _ended);

    /// <summary>
    /// Holds the bytes the client side of every connection open now sends, until <see cref="Release"/>; connections
    /// accepted later flow.
    /// </summary>
    public void Hold()
    {
        lock (_open)
        {
            _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _holdBelow, Accepted);
        }
    }

    /// <summary>Delivers what <see cref="Hold"/> held, and lets it flow again.</summary>
    public void Release()
    {
        lock (_open)
        {
            Volatile.Write(ref _holdBelow, 0);
            _released.TrySetResult();
        }
    }

    /// <summary>Resets every connection open now, on both sides, as a crashed peer or a firewall would.</summary>
    /// <returns>How many connections were reset.</returns>
    public int ResetOpen()
    {
        lock (_open)
        {
            foreach (var client in _open)
            {
                try
                {
                    client.Client.LingerState = new LingerOption(true, 0);
                }
                catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
                {
                }

                client.Dispose();
            }

            var count = _open.Count / 2;
            _open.Clear();
            return count;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_open)
        {
            foreach (var client in _open)
            {
                client.Dispose();
            }
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (RefuseNew)
            {
                Interlocked.Increment(ref _refused);
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }

            var upstream = new TcpClient();
            await upstream.ConnectAsync(IPAddress.Loopback, _targetPort);
            lock (_open)
            {
                _open.Add(client);
                _open.Add(upstream);
            }

            var number = Interlocked.Increment(ref _accepted) - 1;
            _ = PumpAsync(client, upstream, number);
            _ = PumpBackAsync(upstream, client);
        }
    }

    private static TaskCompletionSource Released()
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        released.SetResult();
        return released;
    }

    // Client to server, held while a hold covers this connection.
    private async Task PumpAsync(TcpClient from, TcpClient to, int number)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            var source = from.GetStream();
            var target = to.GetStream();
            int read;
            while ((read = await source.ReadAsync(buffer, _stopping.Token)) > 0)
            {
                Task released;
                lock (_open)
                {
                    released = number < Volatile.Read(ref _holdBelow) ? _released.Task : Task.CompletedTask;
                }

                if (!released.IsCompleted)
                {
                    Interlocked.Increment(ref _heldReads);
                    try
                    {
                        await released.WaitAsync(_stopping.Token);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _heldReads);
                    }
                }

                await target.WriteAsync(buffer.AsMemory(0, read), _stopping.Token);
            }

            to.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // One side went away: the other is closed when the forwarder is disposed.
        }
    }

    private async Task PumpBackAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream(), _stopping.Token);
            Interlocked.Increment(ref _ended);
            to.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // One side went away: the other is closed when the forwarder is disposed.
        }
    }
}
