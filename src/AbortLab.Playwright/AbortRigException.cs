namespace AbortLab.Playwright;

/// <summary>
/// Thrown when the rig cannot do its job: the app's diagnostics API is missing or unreadable, or the browser could
/// not bring the request to the point of the abort.
/// </summary>
public sealed class AbortRigException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="AbortRigException"/> class.</summary>
    /// <param name="message">What went wrong and what to do about it.</param>
    public AbortRigException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AbortRigException"/> class.</summary>
    /// <param name="message">What went wrong and what to do about it.</param>
    /// <param name="innerException">The cause.</param>
    public AbortRigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
