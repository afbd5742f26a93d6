using System.Collections.Concurrent;
using System.Diagnostics;

namespace AbortLab.Bench;

/// <summary>
/// Where a server notes the moment its abort token fired for request <c>id</c>, on <see cref="Stopwatch"/>'s clock
/// (CLOCK_MONOTONIC on Linux, the clock Node's <c>process.hrtime</c> reads too).
/// </summary>
internal sealed class FireRecorder
{
    private readonly ConcurrentDictionary<int, TaskCompletionSource<long>> _fired = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<long>> _started = new();

    /// <summary>Notes that request <paramref name="id"/> reached its endpoint.</summary>
    public void Started(int id) => _started.GetOrAdd(id, static _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(Stopwatch.GetTimestamp());

    /// <summary>Whether request <paramref name="id"/> reached its endpoint within the timeout.</summary>
    public async Task<bool> WaitStartedAsync(int id, TimeSpan timeout)
    {
        try
        {
            await _started.GetOrAdd(id, static _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            _started.TryRemove(id, out _);
        }
    }

    private readonly ConcurrentDictionary<int, long> _connectionClosed = new();

    /// <summary>Notes that the connection of request <paramref name="id"/> closed, as the server saw it (for missed samples).</summary>
    public void ConnectionClosed(int id) => _connectionClosed[id] = Stopwatch.GetTimestamp();

    /// <summary>When the server saw the connection of request <paramref name="id"/> close, if it did.</summary>
    public long? ConnectionClosedAt(int id) => _connectionClosed.TryRemove(id, out var at) ? at : null;

    public void Fired(int id) => Fired(id, Stopwatch.GetTimestamp());

    private long _firedLate;

    /// <summary>How many samples' token fired but whose recorder callback had been unregistered before it ran.</summary>
    public long FiredLateCount => Interlocked.Read(ref _firedLate);

    /// <summary>Records a fire seen only once the endpoint resumed (see <c>KestrelServer.RecordIfUnrun</c>).</summary>
    public void FiredLate(int id)
    {
        Interlocked.Increment(ref _firedLate);
        Fired(id);
    }

    public void Fired(int id, long timestamp) => Slot(id).TrySetResult(timestamp);

    /// <summary>The timestamp at which the token for <paramref name="id"/> fired, or null if it did not within the timeout.</summary>
    public async Task<long?> WaitAsync(int id, TimeSpan timeout)
    {
        try
        {
            return await Slot(id).Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            _fired.TryRemove(id, out _);
        }
    }

    private TaskCompletionSource<long> Slot(int id) => _fired.GetOrAdd(id, static _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
}
