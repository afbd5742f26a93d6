using System.Collections.Concurrent;

namespace AbortLab;

/// <summary>
/// The scopes whose requests still run. Once closed (the host stops without draining), a scope added is aborted at
/// once as <see cref="AbortReason.ServerShutdown"/>.
/// </summary>
internal sealed class LiveScopeRegistry
{
    private readonly ConcurrentDictionary<AbortScope, byte> _scopes = new(ReferenceEqualityComparer.Instance);
    private readonly object _idleGate = new();
    private readonly TimeProvider _timeProvider;
    private TaskCompletionSource? _idle;
    private volatile bool _closed;

    public LiveScopeRegistry(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
    }

    public int Count => _scopes.Count;

    /// <summary>A snapshot of the live scopes.</summary>
    public AbortScope[] Snapshot() => [.. _scopes.Keys];

    public void Add(AbortScope scope)
    {
        _scopes.TryAdd(scope, 0);
        if (_closed)
        {
            scope.Abort(AbortReason.ServerShutdown, AbortDetection.Host);
        }
    }

    /// <summary>Removes the scope; returns whether it was live.</summary>
    public bool Remove(AbortScope scope)
    {
        if (!_scopes.TryRemove(scope, out _))
        {
            return false;
        }

        if (Volatile.Read(ref _idle) is not null)
        {
            lock (_idleGate)
            {
                if (_scopes.IsEmpty && _idle is { } idle)
                {
                    _idle = null;
                    idle.TrySetResult();
                }
            }
        }

        return true;
    }

    /// <summary>Aborts every live scope, and every scope added from now on, as <see cref="AbortReason.ServerShutdown"/>.</summary>
    /// <returns>How many scopes were live.</returns>
    public int CloseAndAbortAll()
    {
        _closed = true;
        var scopes = Snapshot();
        foreach (var scope in scopes)
        {
            scope.Abort(AbortReason.ServerShutdown, AbortDetection.Host);
        }

        return scopes.Length;
    }

    /// <summary>Waits until no scope is live, up to <paramref name="timeout"/>, on the scopes' own releases.</summary>
    public async Task WaitUntilIdleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task idle;
        lock (_idleGate)
        {
            if (_scopes.IsEmpty)
            {
                return;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            idle = _idle.Task;
        }

        try
        {
            await idle.WaitAsync(timeout, _timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
