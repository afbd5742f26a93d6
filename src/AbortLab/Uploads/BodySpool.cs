using System.Buffers;
using System.Runtime.ExceptionServices;
using Microsoft.Win32.SafeHandles;

namespace AbortLab.Uploads;

/// <summary>
/// A bounded first-in first-out byte buffer between one writer (the read-ahead pump) and one reader (the app): bytes
/// stay in pooled memory up to a limit, then go to a temporary file readable only by this user, which is deleted
/// when the spool is disposed. The writer waits while the unread bytes would pass the maximum.
/// </summary>
internal sealed class BodySpool : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Queue<Segment> _memory = new();
    private readonly int _memoryLimit;
    private readonly long _maxBytes;
    private readonly string _directory;
    private long _memoryBytes;
    private FileStream? _file;
    private bool _fileMode;
    private long _fileReadPosition;
    private long _fileWritePosition;
    private long _unreadBytes;
    private bool _writerCompleted;
    private ExceptionDispatchInfo? _writerError;
    private bool _disposed;
    private TaskCompletionSource? _dataAvailable;
    private TaskCompletionSource? _spaceAvailable;

    public BodySpool(int memoryLimit, long maxBytes, string directory)
    {
        _memoryLimit = memoryLimit;
        _maxBytes = maxBytes;
        _directory = directory;
    }

    public long TotalWritten { get; private set; }

    public bool UsesFile => _file is not null;

    public bool IsWriterCompleted
    {
        get
        {
            lock (_gate)
            {
                return _writerCompleted;
            }
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.IsEmpty)
        {
            return;
        }

        await WaitForSpaceAsync(data.Length, cancellationToken);

        long offset;
        SafeFileHandle handle;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fileMode && _fileReadPosition == _fileWritePosition && _memory.Count == 0)
            {
                // Everything spooled so far has been read: start over in memory, and at the file's beginning.
                _fileMode = false;
                _fileReadPosition = _fileWritePosition = 0;
            }

            if (!_fileMode && _memoryBytes + data.Length <= _memoryLimit)
            {
                var array = ArrayPool<byte>.Shared.Rent(data.Length);
                data.Span.CopyTo(array);
                _memory.Enqueue(new Segment(array, data.Length));
                _memoryBytes += data.Length;
                Committed(data.Length);
                return;
            }

            // From here until the file is drained, every write goes to the file, so the order of bytes holds.
            _fileMode = true;
            offset = _fileWritePosition;
            handle = (_file ??= CreateFile()).SafeFileHandle;
        }

        await RandomAccess.WriteAsync(handle, data, offset, cancellationToken);
        lock (_gate)
        {
            _fileWritePosition = offset + data.Length;
            Committed(data.Length);
        }
    }

    public void Complete(Exception? error)
    {
        lock (_gate)
        {
            if (_writerCompleted)
            {
                return;
            }

            _writerCompleted = true;
            _writerError = error is null ? null : ExceptionDispatchInfo.Capture(error);
            Signal(ref _dataAvailable);
        }
    }

    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (destination.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            Task? dataAvailable = null;
            long offset = 0;
            var count = 0;
            SafeFileHandle? handle = null;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_memory.TryPeek(out var segment))
                {
                    var copied = segment.CopyTo(destination.Span);
                    if (segment.IsEmpty)
                    {
                        _memory.Dequeue();
                        ArrayPool<byte>.Shared.Return(segment.Bytes);
                    }

                    _memoryBytes -= copied;
                    Consumed(copied);
                    return copied;
                }

                if (_fileReadPosition < _fileWritePosition)
                {
                    offset = _fileReadPosition;
                    count = (int)Math.Min(destination.Length, _fileWritePosition - _fileReadPosition);
                    handle = _file!.SafeFileHandle;
                }
                else if (_writerCompleted)
                {
                    _writerError?.Throw();
                    return 0;
                }
                else
                {
                    _dataAvailable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    dataAvailable = _dataAvailable.Task;
                }
            }

            if (dataAvailable is not null)
            {
                await dataAvailable.WaitAsync(cancellationToken);
                continue;
            }

            var read = await RandomAccess.ReadAsync(handle!, destination[..count], offset, cancellationToken);
            lock (_gate)
            {
                _fileReadPosition += read;
                Consumed(read);
            }

            return read;
        }
    }

    public ValueTask DisposeAsync()
    {
        FileStream? file;
        lock (_gate)
        {
            if (_disposed)
            {
                return ValueTask.CompletedTask;
            }

            _disposed = true;
            while (_memory.TryDequeue(out var segment))
            {
                ArrayPool<byte>.Shared.Return(segment.Bytes);
            }

            file = _file;
            _file = null;
            Signal(ref _dataAvailable);
            Signal(ref _spaceAvailable);
        }

        return file?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    private async ValueTask WaitForSpaceAsync(int length, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task spaceAvailable;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_unreadBytes == 0 || _unreadBytes + length <= _maxBytes)
                {
                    return;
                }

                _spaceAvailable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                spaceAvailable = _spaceAvailable.Task;
            }

            await spaceAvailable.WaitAsync(cancellationToken);
        }
    }

    private FileStream CreateFile()
    {
        var path = Path.Combine(_directory, $"abortlab-spool-{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }

    private void Committed(int length)
    {
        _unreadBytes += length;
        TotalWritten += length;
        Signal(ref _dataAvailable);
    }

    private void Consumed(int length)
    {
        _unreadBytes -= length;
        Signal(ref _spaceAvailable);
    }

    private static void Signal(ref TaskCompletionSource? waiter)
    {
        waiter?.TrySetResult();
        waiter = null;
    }

    private sealed class Segment(byte[] array, int length)
    {
        private int _offset;

        public byte[] Bytes { get; } = array;

        public bool IsEmpty => _offset == length;

        public int CopyTo(Span<byte> destination)
        {
            var count = Math.Min(destination.Length, length - _offset);
            Bytes.AsSpan(_offset, count).CopyTo(destination);
            _offset += count;
            return count;
        }
    }
}
