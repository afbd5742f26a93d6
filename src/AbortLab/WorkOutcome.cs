namespace AbortLab;

/// <summary>
/// How a unit of work tracked with <see cref="AbortScope.Track(string)"/> ended.
/// </summary>
public enum WorkOutcome
{
    /// <summary>The work has not ended yet.</summary>
    Running = 0,

    /// <summary>The work ran to completion.</summary>
    Completed = 1,

    /// <summary>The work stopped because it was cancelled.</summary>
    Canceled = 2,

    /// <summary>The work failed with an exception that was not a cancellation.</summary>
    Faulted = 3,
}
