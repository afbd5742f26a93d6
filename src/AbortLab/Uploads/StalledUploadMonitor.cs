using System.Collections.Concurrent;

namespace AbortLab;

/// <summary>
/// Checks every pending upload on one shared timer, which runs only while there are uploads to watch.
/// </summary>
internal sealed class StalledUploadMonitor : IDisposable
{
    private readonly ConcurrentDictionary<PendingUpload, byte> _pending = new(ReferenceEqualityComparer.Instance);
    private readonly object _timerGate = new();
    private readonly TimeProvider _timeProvider;
    private ITimer? _timer;
    private TimeSpan _interval;
    private int _checking;
    private bool _disposed;

    public StalledUploadMonitor(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
    }

    public int Count => _pending.Count;

    public void Watch(PendingUpload upload, TimeSpan interval)
    {
        _pending.TryAdd(upload, 0);
        lock (_timerGate)
        {
            if (_disposed)
            {
                return;
            }

            if (_timer is null)
            {
                _interval = interval;
                _timer = _timeProvider.CreateTimer(static state => ((StalledUploadMonitor)state!).CheckAll(), this, interval, interval);
            }
            else if (_interval != interval)
            {
                _interval = interval;
                _timer.Change(interval, interval);
            }
        }
    }

    public void Unwatch(PendingUpload upload) => _pending.TryRemove(upload, out _);

    public void Dispose()
    {
        lock (_timerGate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void CheckAll()
    {
        if (Interlocked.Exchange(ref _checking, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var upload in _pending.Keys)
            {
                if (upload.Check())
                {
                    _pending.TryRemove(upload, out _);
                }
            }

            lock (_timerGate)
            {
                if (_pending.IsEmpty)
                {
                    _timer?.Dispose();
                    _timer = null;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }
}
