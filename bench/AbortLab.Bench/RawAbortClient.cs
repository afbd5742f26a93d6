using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AbortLab.Bench;

/// <summary>
/// A raw-socket client (no HttpClient, no pooling): sends one request, waits for the first response byte, then leaves
/// with a FIN or an RST and returns the moment it did.
/// </summary>
internal sealed class RawAbortClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    public static async Task<RawAbortClient> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var client = new RawAbortClient();
        try
        {
            await client._socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public ValueTask<int> SendAsync(string text, CancellationToken cancellationToken) =>
        _socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None, cancellationToken);

    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        _socket.SendAsync(bytes, SocketFlags.None, cancellationToken);

    /// <summary>Waits for the first response bytes; false when none came in time.</summary>
    public async Task<bool> WaitForFirstByteAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[8192];
        try
        {
            var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
            FirstBytes = Encoding.ASCII.GetString(buffer, 0, Math.Min(read, 40)).ReplaceLineEndings(" ");
            return read > 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Leaves: FIN (shutdown of the send side; the socket stays open) or RST (SO_LINGER 0, then close).</summary>
    public long Leave(bool reset)
    {
        if (reset)
        {
            _socket.LingerState = new LingerOption(true, 0);
            var at = Clock.Now;
            _socket.Close();
            return at;
        }

        var now = Clock.Now;
        _socket.Shutdown(SocketShutdown.Send);
        return now;
    }

    /// <summary>The start of what the server sent first, to tell the endpoint's byte from an answer AbortLab gave.</summary>
    public string FirstBytes { get; private set; } = string.Empty;

    /// <summary>What went wrong in samples counted as missed, for the report.</summary>
    public static System.Collections.Concurrent.ConcurrentBag<string> Errors { get; } = [];

    public void Dispose() => _socket.Dispose();

    /// <summary>One full abort: request, first byte, leave; then wait for the server's record of it.</summary>
    public static async Task<double?> MeasureAsync(int port, string pathAndQuery, int id, bool reset, FireRecorder recorder, TimeSpan timeout, CancellationToken cancellationToken) =>
        await MeasureTimestampsAsync(port, pathAndQuery, id, reset, recorder, timeout, cancellationToken) is { Fired: { } fired } sample ? Clock.Ms(sample.Left, fired) : null;

    /// <summary>As <see cref="MeasureAsync"/>, returning when the client left and when the server's token fired.</summary>
    public static async Task<(long Left, long? Fired)?> MeasureTimestampsAsync(int port, string pathAndQuery, int id, bool reset, FireRecorder recorder, TimeSpan timeout, CancellationToken cancellationToken)
    {
        RawAbortClient client;
        (int Id, long At)? previousUse;
        int localPort;
        try
        {
            client = await ConnectAsync(port, cancellationToken);
            localPort = ((IPEndPoint)client._socket.LocalEndPoint!).Port;
            previousUse = MissEvidence.Used(localPort, id);
            await client.SendAsync($"GET {pathAndQuery} HTTP/1.1\r\nHost: bench\r\nAbortLab-Tag: sample-{id}\r\n\r\n", cancellationToken);
            if (!await client.WaitForFirstByteAsync(timeout))
            {
                Errors.Add($"{pathAndQuery}: no first byte within {timeout.TotalSeconds:0} s");
                MissEvidence.Record(id, pathAndQuery, client._socket, localPort, previousUse, "no first byte");
                client.Dispose();
                return null;
            }
        }
        catch (SocketException exception)
        {
            // Counted as missed: the server (or proxy) refused or reset the request before answering.
            Errors.Add($"{pathAndQuery}: {exception.SocketErrorCode} before the first byte");
            return null;
        }

        using var owned = client;

        var left = client.Leave(reset);
        var fired = await recorder.WaitAsync(id, timeout);
        if (fired is null)
        {
            var closedAt = recorder.ConnectionClosedAt(id);
            var connection = closedAt is { } closedTimestamp ? $"the server's ConnectionClosed fired {Clock.Ms(left, closedTimestamp):0.000} ms after the client left" : "the server's ConnectionClosed never fired";
            MissEvidence.Record(id, pathAndQuery, client._socket, localPort, previousUse, $"first byte \"{client.FirstBytes}\", then {(reset ? "RST" : "FIN")}, token not fired within {timeout.TotalSeconds:0} s, {connection}");
        }

        return (left, fired);
    }
}
