namespace AbortLab.BrowserTests;

/// <summary>Where the browser tests keep what they produce: under <c>browser-tests/artifacts/</c> (git-ignored).</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Artifacts { get; } = Path.Combine(Root, "browser-tests", "artifacts");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AbortLab.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
