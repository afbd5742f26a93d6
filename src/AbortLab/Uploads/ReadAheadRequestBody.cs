using System.Buffers;
using AbortLab.IO;

namespace AbortLab.Uploads;

/// <summary>
/// The request body as the app sees it while AbortLab watches an upload. It passes reads straight through until
/// read-ahead starts (the app is not reading and the body is not finished); from then on a pump drains the server's
/// body into a <see cref="BodySpool"/> and the app reads the same bytes, in the same order, from the spool.
/// </summary>
internal sealed class ReadAheadRequestBody : ReadOnlyStream
{
    private const int PumpBufferSize = 64 * 1024;
    private const string SynchronousReadDisallowed = "Synchronous operations are disallowed. Call ReadAsync or set AllowSynchronousIO to true instead.";

    private readonly object _gate = new();
    private readonly Stream _inner;
    private readonly ServerBodyReader? _serverReader;
    private readonly StalledUploadOptions _options;
    private readonly Func<bool> _allowSynchronousIO;
    private readonly Action<Exception> _onPumpFailed;
    private readonly CancellationToken _requestAborted;
    private readonly CancellationTokenSource _pumpCancellation = new();
    private bool _appReading;
    private bool _innerEnded;
    private bool _released;
    private BodySpool? _spool;
    private Task? _pump;

    /// <param name="inner">The body as the server gave it.</param>
    /// <param name="serverReader">Reads the server's body pipe, when the server has one: asynchronous reads go through it.</param>
    /// <param name="options">The upload options.</param>
    /// <param name="allowSynchronousIO">Whether the server allows synchronous reads.</param>
    /// <param name="onPumpFailed">Called when read-ahead fails (the client is most likely gone).</param>
    /// <param name="requestAborted">The request's abort token.</param>
    public ReadAheadRequestBody(Stream inner, ServerBodyReader? serverReader, StalledUploadOptions options, Func<bool> allowSynchronousIO, Action<Exception> onPumpFailed, CancellationToken requestAborted)
    {
        _requestAborted = requestAborted;
        _inner = inner;
        _serverReader = serverReader;
        _options = options;
        _allowSynchronousIO = allowSynchronousIO;
        _onPumpFailed = onPumpFailed;
    }

    public bool IsReadingAhead => Volatile.Read(ref _spool) is not null;

    /// <summary>True once the server's body has been read to its end, by the app or by the pump.</summary>
    public bool IsBodyFinished
    {
        get
        {
            lock (_gate)
            {
                return _innerEnded || _spool?.IsWriterCompleted == true;
            }
        }
    }

    /// <summary>
    /// Starts draining the body into a spool, unless read-ahead is off, the app is reading right now, or the body is
    /// finished.
    /// </summary>
    public bool TryStartReadAhead()
    {
        BodySpool spool;
        lock (_gate)
        {
            if (!_options.ReadAheadEnabled || _released || _spool is not null || _appReading || _innerEnded)
            {
                return false;
            }

            spool = new BodySpool(
                _options.ReadAheadMemoryLimit,
                _options.ReadAheadMaxBytes,
                _options.SpoolDirectory ?? Path.GetTempPath());
            _spool = spool;

            // Assigned under the lock so that ReleaseAsync always finds the pump it must stop.
            _pump = PumpAsync(spool);
        }

        return true;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var spool = BeginRead();
        if (spool is not null)
        {
            return await spool.ReadAsync(buffer, cancellationToken);
        }

        try
        {
            var read = await ReadInnerAsync(buffer, cancellationToken);
            if (read == 0 && !buffer.IsEmpty)
            {
                MarkInnerEnded();
            }

            return read;
        }
        finally
        {
            EndRead();
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var spool = BeginRead();
        if (spool is not null)
        {
            if (!_allowSynchronousIO())
            {
                throw new InvalidOperationException(SynchronousReadDisallowed);
            }

            var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
            try
            {
                // A synchronous read carries no token of the app's: it ends when the request is aborted.
                var read = spool.ReadAsync(rented.AsMemory(0, buffer.Length), _requestAborted).AsTask().GetAwaiter().GetResult();
                rented.AsSpan(0, read).CopyTo(buffer);
                return read;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        try
        {
            var read = _inner.Read(buffer);
            if (read == 0 && !buffer.IsEmpty)
            {
                MarkInnerEnded();
            }

            return read;
        }
        finally
        {
            EndRead();
        }
    }

    /// <summary>
    /// Stops the pump and deletes the spool. Called by the middleware when the request ends; disposing the stream
    /// (as a <c>StreamReader</c> does) leaves it working, as the server's own body stream does.
    /// </summary>
    public async ValueTask ReleaseAsync()
    {
        BodySpool? spool;
        lock (_gate)
        {
            if (_released)
            {
                return;
            }

            _released = true;
            spool = _spool;
        }

        _pumpCancellation.Cancel();
        if (_pump is not null)
        {
            await _pump;
        }

        if (spool is not null)
        {
            await spool.DisposeAsync();
        }

        _pumpCancellation.Dispose();
    }

    private BodySpool? BeginRead()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_released, this);
            if (_spool is not null)
            {
                return _spool;
            }

            if (_appReading)
            {
                throw new InvalidOperationException("The request body does not support concurrent reads.");
            }

            _appReading = true;
            return null;
        }
    }

    private void EndRead()
    {
        lock (_gate)
        {
            _appReading = false;
        }
    }

    private void MarkInnerEnded()
    {
        lock (_gate)
        {
            _innerEnded = true;
        }
    }

    private ValueTask<int> ReadInnerAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _serverReader?.ReadAsync(buffer, cancellationToken) ?? _inner.ReadAsync(buffer, cancellationToken);

    private async Task PumpAsync(BodySpool spool)
    {
        await Task.Yield();
        var buffer = ArrayPool<byte>.Shared.Rent(PumpBufferSize);
        try
        {
            while (true)
            {
                var read = await ReadInnerAsync(buffer.AsMemory(0, PumpBufferSize), _pumpCancellation.Token);
                if (read == 0)
                {
                    spool.Complete(null);
                    return;
                }

                await spool.WriteAsync(buffer.AsMemory(0, read), _pumpCancellation.Token);
            }
        }
        catch (Exception exception) when (_pumpCancellation.IsCancellationRequested)
        {
            // Released by the middleware: the request is over.
            spool.Complete(exception);
        }
        catch (Exception exception)
        {
            // The app gets the same exception from its next read past the spooled bytes.
            spool.Complete(exception);
            _onPumpFailed(exception);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
