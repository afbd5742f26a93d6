using AbortLab.Testing;

namespace AbortLab.Tests.Architecture;

/// <summary>
/// The unit tests' folders mirror the core's (as YARP's test project mirrors its source): the tests of a type sit in
/// the folder of that type, so a reader finds them where the type is. Folders named after a sibling package hold
/// its tests; <c>Architecture</c> and <c>Docs</c> test the repository as a whole.
/// </summary>
public sealed class TestFolderTests
{
    private static readonly string[] WholeRepository = ["Architecture", "Docs"];

    [Fact]
    public void TestsOfACoreType_SitInTheFolderOfThatType()
    {
        var root = RepositoryRoot.Find();
        var core = Path.Combine(root, "src", "AbortLab");
        var tests = Path.Combine(root, "tests", "AbortLab.Tests");
        var sources = Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories)
            .Where(path => !IsBuildOutput(path))
            .ToLookup(Path.GetFileNameWithoutExtension, path => Path.GetRelativePath(core, Path.GetDirectoryName(path)!), StringComparer.Ordinal);

        var misplaced = new List<string>();
        foreach (var file in Directory.EnumerateFiles(tests, "*Tests.cs", SearchOption.AllDirectories).Where(path => !IsBuildOutput(path)))
        {
            var folder = Path.GetRelativePath(tests, Path.GetDirectoryName(file)!);
            var subject = Path.GetFileNameWithoutExtension(file)[..^"Tests".Length];
            if (WholeRepository.Contains(folder) || Directory.Exists(Path.Combine(root, "src", $"AbortLab.{folder}")))
            {
                continue;
            }

            if (!Directory.Exists(Path.Combine(core, folder)))
            {
                misplaced.Add($"{folder}/ has no counterpart in src/AbortLab");
            }
            else if (sources[subject].Any() && !sources[subject].Contains(folder))
            {
                misplaced.Add($"{folder}/{Path.GetFileName(file)} tests {subject}, which is in {string.Join(", ", sources[subject])}/");
            }
        }

        Assert.True(misplaced.Count == 0, "Move these tests to the folder of what they test: " + string.Join("; ", misplaced.Distinct()));
    }

    private static bool IsBuildOutput(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        || path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
}
