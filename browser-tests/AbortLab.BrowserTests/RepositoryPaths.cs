using AbortLab.Testing;

namespace AbortLab.BrowserTests;

/// <summary>Where the browser tests keep what they produce: under <c>browser-tests/artifacts/</c> (git-ignored).</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = RepositoryRoot.Find();

    public static string Artifacts { get; } = Path.Combine(Root, "browser-tests", "artifacts");
}
