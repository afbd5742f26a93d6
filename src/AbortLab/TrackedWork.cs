namespace AbortLab;

/// <summary>
/// A unit of work of a request, started with <see cref="AbortScope.Track(string)"/>. End it with
/// <see cref="Complete"/>, <see cref="Cancel"/>, <see cref="Fail(Exception)"/> or <see cref="Dispose"/>; the first end
/// counts.
/// </summary>
public sealed class TrackedWork : IDisposable
{
    private readonly AbortScope _scope;
    private readonly LiveTimeline.WorkEntry _entry;

    internal TrackedWork(AbortScope scope, LiveTimeline.WorkEntry entry)
    {
        _scope = scope;
        _entry = entry;
    }

    /// <summary>
    /// Gets the name the work was started with.
    /// </summary>
    public string Name => _entry.Name;

    /// <summary>
    /// Gets how the work ended, or <see cref="WorkOutcome.Running"/> while it runs.
    /// </summary>
    public WorkOutcome Outcome => _entry.Outcome;

    /// <summary>
    /// Gets the scope's token: the work should stop when it fires.
    /// </summary>
    public CancellationToken Token => _scope.Token;

    /// <summary>Ends the work as <see cref="WorkOutcome.Completed"/>.</summary>
    public void Complete() => _scope.Timeline.EndWork(_entry, WorkOutcome.Completed);

    /// <summary>Ends the work as <see cref="WorkOutcome.Canceled"/>.</summary>
    public void Cancel() => _scope.Timeline.EndWork(_entry, WorkOutcome.Canceled);

    /// <summary>
    /// Ends the work as <see cref="WorkOutcome.Faulted"/>, or as <see cref="WorkOutcome.Canceled"/> when
    /// <paramref name="exception"/> is a cancellation or I/O failure caused by the scope's abort.
    /// </summary>
    /// <param name="exception">The exception the work failed with.</param>
    public void Fail(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        End(exception);
    }

    /// <summary>
    /// Ends the work, if it has not ended yet: as <see cref="WorkOutcome.Canceled"/> when the scope was aborted by
    /// then, and as <see cref="WorkOutcome.Completed"/> otherwise.
    /// </summary>
    public void Dispose()
    {
        _scope.Timeline.EndWork(_entry, _scope.IsAborted ? WorkOutcome.Canceled : WorkOutcome.Completed);
    }

    internal void End(Exception exception)
    {
        var outcome = exception is OperationCanceledException || (_scope.AttributeToClientDeparture(exception) && AbortExceptions.IsCausedByAbort(exception))
            ? WorkOutcome.Canceled
            : WorkOutcome.Faulted;
        _scope.Timeline.EndWork(_entry, outcome, exception.GetType().Name);
    }

    internal void End(WorkOutcome outcome, string? error) => _scope.Timeline.EndWork(_entry, outcome, error);
}
