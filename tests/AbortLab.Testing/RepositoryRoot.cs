namespace AbortLab.Testing;

/// <summary>The repository's root: the folder above the test's output that holds AbortLab.sln.</summary>
internal static class RepositoryRoot
{
    public static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AbortLab.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("AbortLab.sln not found above the test's folder.");
    }
}
