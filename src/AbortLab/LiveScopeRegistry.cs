using System.Numerics;

namespace AbortLab;

/// <summary>
/// The scopes whose requests still run. Once closed (the host stops without draining), a scope added is aborted at
/// once as <see cref="AbortReason.ServerShutdown"/>.
/// </summary>
/// <remarks>
/// Each scope carries its own links (<see cref="AbortScope.LiveLinks"/>), so adding one allocates nothing; the lists
/// are striped by request number, one per core, so that requests on different cores do not share a lock.
/// </remarks>
internal sealed class LiveScopeRegistry
{
    private readonly Stripe[] _stripes;
    private readonly object _idleGate = new();
    private readonly TimeProvider _timeProvider;
    private TaskCompletionSource? _idle;
    private volatile bool _closed;
    private int _count;

    public LiveScopeRegistry(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _stripes = new Stripe[(int)BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount)];
        for (var i = 0; i < _stripes.Length; i++)
        {
            _stripes[i] = new Stripe();
        }
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary>A snapshot of the live scopes.</summary>
    public AbortScope[] Snapshot()
    {
        var scopes = new List<AbortScope>(Count);
        foreach (var stripe in _stripes)
        {
            lock (stripe)
            {
                for (var scope = stripe.Head; scope is not null; scope = scope.LiveLinks.Next)
                {
                    scopes.Add(scope);
                }
            }
        }

        return [.. scopes];
    }

    public void Add(AbortScope scope)
    {
        var stripe = StripeOf(scope);
        lock (stripe)
        {
            if (IsLinked(stripe, scope))
            {
                return;
            }

            scope.LiveLinks = new LiveLinks(null, stripe.Head);
            if (stripe.Head is { } head)
            {
                head.LiveLinks = head.LiveLinks with { Previous = scope };
            }

            stripe.Head = scope;
        }

        Interlocked.Increment(ref _count);
        if (_closed)
        {
            scope.Abort(AbortReason.ServerShutdown, AbortDetection.Host);
        }
    }

    /// <summary>Removes the scope; returns whether it was live.</summary>
    public bool Remove(AbortScope scope)
    {
        var stripe = StripeOf(scope);
        lock (stripe)
        {
            if (!IsLinked(stripe, scope))
            {
                return false;
            }

            var links = scope.LiveLinks;

            if (links.Previous is { } previous)
            {
                previous.LiveLinks = previous.LiveLinks with { Next = links.Next };
            }
            else
            {
                stripe.Head = links.Next;
            }

            if (links.Next is { } next)
            {
                next.LiveLinks = next.LiveLinks with { Previous = links.Previous };
            }

            scope.LiveLinks = default;
        }

        if (Interlocked.Decrement(ref _count) == 0 && Volatile.Read(ref _idle) is not null)
        {
            lock (_idleGate)
            {
                if (Count == 0 && _idle is { } idle)
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
            if (Count == 0)
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

    private static bool IsLinked(Stripe stripe, AbortScope scope) => scope.LiveLinks.Previous is not null || ReferenceEquals(stripe.Head, scope);

    private Stripe StripeOf(AbortScope scope) => _stripes[(int)(scope.Timeline.NumericId & (_stripes.Length - 1))];

    private sealed class Stripe
    {
        public AbortScope? Head;
    }
}
