namespace AbortLab.Integration;

/// <summary>
/// Ends tracked work with an outcome and an error name that only the integration knows (a proxy's
/// <c>ForwarderError</c>, a database's "cancel unconfirmed"), as the timeline and the rig show them.
/// </summary>
public static class TrackedWorkIntegrationExtensions
{
    /// <summary>
    /// Ends <paramref name="work"/> with <paramref name="outcome"/> and <paramref name="error"/>, if it has not ended
    /// yet; a later end is ignored.
    /// </summary>
    /// <param name="work">The work.</param>
    /// <param name="outcome">How it ended: <see cref="WorkOutcome.Completed"/>, <see cref="WorkOutcome.Canceled"/> or <see cref="WorkOutcome.Faulted"/>.</param>
    /// <param name="error">A short name of the failure (a type or an error code), or <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outcome"/> is <see cref="WorkOutcome.Running"/> or not a defined value.</exception>
    public static void End(this TrackedWork work, WorkOutcome outcome, string? error)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (outcome == WorkOutcome.Running || !Enum.IsDefined(outcome))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Work ends as Completed, Canceled or Faulted.");
        }

        work.End(outcome, error);
    }
}
