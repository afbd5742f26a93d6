namespace AbortLab.Playwright;

/// <summary>
/// Thrown when no Chromium can be found for the rig. The message says where the rig looked and how to install one.
/// </summary>
public sealed class BrowserNotFoundException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="BrowserNotFoundException"/> class.</summary>
    /// <param name="message">Where the rig looked and how to install a browser.</param>
    public BrowserNotFoundException(string message)
        : base(message)
    {
    }
}
