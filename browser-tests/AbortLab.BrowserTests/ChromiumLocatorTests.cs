using AbortLab.Playwright;

namespace AbortLab.BrowserTests;

public sealed class ChromiumLocatorTests
{
    private const string PlaywrightChrome = "/root/.cache/ms-playwright/chromium-1200/chrome-linux64/chrome";

    [Fact]
    public void PlaywrightsOwnBrowser_ComesFirst()
    {
        var found = ChromiumLocator.Find(null, PlaywrightChrome, _ => "/opt/chrome", path => path is PlaywrightChrome or "/opt/chrome" or ChromiumLocator.SystemChromium);

        Assert.Null(found);
    }

    [Fact]
    public void EnvironmentVariable_ComesBeforeTheSystemChromium()
    {
        var found = ChromiumLocator.Find(null, PlaywrightChrome, name => name == "ABORTLAB_CHROMIUM" ? "/opt/chrome" : null, path => path is "/opt/chrome" or ChromiumLocator.SystemChromium);

        Assert.Equal("/opt/chrome", found);
    }

    [Fact]
    public void SystemChromium_IsTheLastResort()
    {
        var found = ChromiumLocator.Find(null, PlaywrightChrome, _ => null, path => path == ChromiumLocator.SystemChromium);

        Assert.Equal(ChromiumLocator.SystemChromium, found);
    }

    [Fact]
    public void NoBrowser_SaysWhereItLookedAndHowToInstallOne()
    {
        var exception = Assert.Throws<BrowserNotFoundException>(() => ChromiumLocator.Find(null, PlaywrightChrome, _ => null, _ => false));

        Assert.Contains(PlaywrightChrome, exception.Message, StringComparison.Ordinal);
        Assert.Contains("ABORTLAB_CHROMIUM", exception.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y chromium", exception.Message, StringComparison.Ordinal);
        Assert.Contains("playwright.ps1 install chromium", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileNamedByTheEnvironment_IsAnErrorNotAFallback()
    {
        var exception = Assert.Throws<BrowserNotFoundException>(() => ChromiumLocator.Find(null, null, _ => "/nowhere/chrome", path => path == ChromiumLocator.SystemChromium));

        Assert.Contains("/nowhere/chrome", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidOptions_AreRejectedBeforeAnyBrowserStarts()
    {
        var exception = await Assert.ThrowsAsync<ArgumentException>(() => AbortRig.LaunchAsync(new AbortRigOptions { BaseAddress = new Uri("ftp://example/"), Deadline = TimeSpan.Zero }));

        Assert.Contains("BaseAddress must be an absolute http or https address", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Deadline must be above zero", exception.Message, StringComparison.Ordinal);
    }
}
