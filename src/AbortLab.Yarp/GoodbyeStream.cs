namespace AbortLab.Yarp;

/// <summary>
/// The upstream body of a proxied SSE stream or WebSocket (for a WebSocket, both directions), as YARP reads and
/// writes it. Until the proxy shuts down it passes everything through, following event or frame boundaries. Once
/// told, it ends the upstream read at the next boundary, hands YARP the goodbye as if the upstream had sent it, waits
/// for a WebSocket client's close reply (sent nowhere: the upstream is being left), and then reports the end of the
/// body, so YARP finishes the client's response normally instead of aborting it.
/// </summary>
internal sealed class GoodbyeStream(Stream inner, ProxiedStream stream, TimeProvider timeProvider) : Stream
{
    private readonly SseEventBoundary _events = new();
    private readonly WebSocketFrameCursor _fromUpstream = new();
    private readonly WebSocketFrameCursor _fromClient = new();
    private ReadOnlyMemory<byte> _goodbyeLeft;
    private State _state;

    private enum State
    {
        Forwarding,
        SayingGoodbye,
        Ended,
    }

    public override bool CanRead => true;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    private bool AtBoundary => stream.IsWebSocket ? _fromUpstream.AtBoundary : _events.AtBoundary;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            switch (_state)
            {
                case State.Ended:
                    return 0;

                case State.SayingGoodbye when buffer.Length == 0 && _goodbyeLeft.Length > 0:
                    return 0;

                case State.SayingGoodbye when _goodbyeLeft.Length > 0:
                    var count = Math.Min(buffer.Length, _goodbyeLeft.Length);
                    _goodbyeLeft[..count].CopyTo(buffer);
                    _goodbyeLeft = _goodbyeLeft[count..];
                    return count;

                case State.SayingGoodbye:
                    // YARP asks for more only once it wrote what it had: the goodbye is on the client's connection.
                    stream.GoodbyeDelivered();
                    if (stream.IsWebSocket)
                    {
                        await stream.WaitForReplyAsync(timeProvider, cancellationToken);
                    }

                    _state = State.Ended;
                    return 0;
            }

            if (stream.IsTold && AtBoundary)
            {
                BeginGoodbye();
                continue;
            }

            // At a boundary the notice itself stops the read; inside an event or frame the rest of it is awaited first,
            // for at most BoundaryTimeout after the notice.
            var atBoundary = AtBoundary;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, atBoundary ? stream.ToldToken : stream.BoundaryExpiredToken);
            int read;
            try
            {
                read = await inner.ReadAsync(buffer, linked.Token);
            }
            catch (OperationCanceledException) when (stream.IsTold && !cancellationToken.IsCancellationRequested)
            {
                if (atBoundary)
                {
                    BeginGoodbye();
                    continue;
                }

                // No boundary came in time: the stream ends without a goodbye (and is not counted acknowledged).
                _state = State.Ended;
                return 0;
            }

            // A zero-byte read (YARP's wait for data before it rents a buffer) says nothing about the end.
            if (read == 0 && buffer.Length > 0)
            {
                _state = State.Ended;
                return 0;
            }

            // Once told, what follows the first boundary is left unsent: the goodbye comes next.
            if (read == 0)
            {
                return 0;
            }

            var span = buffer.Span[..read];
            var end = stream.IsWebSocket ? _fromUpstream.Advance(span, stream.IsTold) : _events.Advance(span, stream.IsTold);
            return end > 0 ? end : read;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!stream.IsTold)
        {
            _fromClient.Advance(buffer.Span, stopAtBoundary: false);
            await inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        // Told: nothing more goes upstream, and the client's close frame is the reply to the goodbye.
        if (_fromClient.Advance(buffer.Span, stopAtBoundary: false, WebSocketFrameCursor.CloseOpcode) >= 0)
        {
            stream.Replied();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        stream.IsTold ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The proxy reads asynchronously.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The proxy writes asynchronously.");

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void BeginGoodbye()
    {
        _goodbyeLeft = stream.Goodbye;
        _state = State.SayingGoodbye;
    }
}
