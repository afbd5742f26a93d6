namespace AbortLab.Playwright;

/// <summary>
/// Thrown by <see cref="AbortVerdict.EnsurePassed"/> when the server did not record what the abort demands.
/// </summary>
public sealed class AbortVerdictException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="AbortVerdictException"/> class.</summary>
    /// <param name="verdict">The failed verdict.</param>
    public AbortVerdictException(AbortVerdict verdict)
        : base((verdict ?? throw new ArgumentNullException(nameof(verdict))).ToString())
    {
        Verdict = verdict;
    }

    /// <summary>Gets the failed verdict.</summary>
    public AbortVerdict Verdict { get; }
}
