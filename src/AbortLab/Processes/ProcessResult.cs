namespace AbortLab.Processes;

/// <summary>
/// What a process run with <see cref="AbortableProcess"/> left behind.
/// </summary>
public sealed class ProcessResult
{
    /// <summary>Gets the process id.</summary>
    public required int ProcessId { get; init; }

    /// <summary>Gets the exit code.</summary>
    public required int ExitCode { get; init; }

    /// <summary>Gets the standard output, cut at the run's output limit.</summary>
    public required string StandardOutput { get; init; }

    /// <summary>Gets the standard error, cut at the run's output limit.</summary>
    public required string StandardError { get; init; }

    /// <summary>Gets a value that tells whether some output was cut.</summary>
    public bool OutputTruncated { get; init; }
}
