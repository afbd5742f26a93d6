namespace AbortLab.Playwright;

/// <summary>
/// Finds the Chromium to launch: an explicit path, Playwright's own installed browser, <c>ABORTLAB_CHROMIUM</c>,
/// then Debian's <c>/usr/bin/chromium</c>.
/// </summary>
internal static class ChromiumLocator
{
    public const string EnvironmentVariable = "ABORTLAB_CHROMIUM";
    public const string SystemChromium = "/usr/bin/chromium";

    /// <summary>Returns the executable to pass to Playwright, or <see langword="null"/> for Playwright's own browser.</summary>
    public static string? Find(string? explicitPath, string? playwrightExecutable, Func<string, string?> environment, Func<string, bool> fileExists)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return fileExists(explicitPath)
                ? explicitPath
                : throw new BrowserNotFoundException($"AbortRigOptions.ExecutablePath '{explicitPath}' does not exist.");
        }

        if (!string.IsNullOrEmpty(playwrightExecutable) && fileExists(playwrightExecutable))
        {
            return null;
        }

        var fromEnvironment = environment(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fileExists(fromEnvironment)
                ? fromEnvironment
                : throw new BrowserNotFoundException($"{EnvironmentVariable} names '{fromEnvironment}', which does not exist.");
        }

        if (fileExists(SystemChromium))
        {
            return SystemChromium;
        }

        throw new BrowserNotFoundException(
            "No Chromium found for the AbortLab rig. It looked for Playwright's own browser"
            + (string.IsNullOrEmpty(playwrightExecutable) ? string.Empty : $" ({playwrightExecutable})")
            + $", then the {EnvironmentVariable} environment variable, then {SystemChromium}. Install one of them: "
            + "'pwsh bin/<configuration>/<tfm>/playwright.ps1 install chromium' (needs the internet), "
            + "or on Debian/Ubuntu 'sudo apt-get install -y chromium', "
            + $"or set {EnvironmentVariable} to a Chromium or Chrome executable.");
    }
}
