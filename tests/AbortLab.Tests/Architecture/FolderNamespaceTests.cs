using System.Text.RegularExpressions;
using AbortLab.Testing;

namespace AbortLab.Tests.Architecture;

/// <summary>
/// In every package a file's namespace is its folder (the root folder is the package's namespace), so the folders
/// tell the truth about what is where. Extension classes are entry points and live in the namespace of those who call
/// them (<c>Microsoft.Extensions.DependencyInjection</c>, <c>Microsoft.AspNetCore.Builder</c>, <c>AbortLab</c> for the
/// scope's own), in the folder of the feature they wire. IDE0130 says the same at build time.
/// </summary>
public sealed partial class FolderNamespaceTests
{
    [Fact]
    public void EveryFileOfAPackage_IsInTheNamespaceOfItsFolder()
    {
        var src = Path.Combine(RepositoryRoot.Find(), "src");

        var mismatched = Mismatches(src);

        Assert.True(mismatched.Count == 0, "Put these files in the folder of their namespace: " + string.Join("; ", mismatched));
    }

    [Fact]
    public void Rule_RefusesAFileOutsideItsFoldersNamespace_AndAllowsExtensionClasses()
    {
        Assert.Equal("AbortLab/Scopes/AbortScope.cs is in AbortLab, not AbortLab.Scopes", Mismatch("AbortLab", "Scopes/AbortScope.cs", "namespace AbortLab;"));
        Assert.Null(Mismatch("AbortLab", "AbortScope.cs", "namespace AbortLab;"));
        Assert.Null(Mismatch("AbortLab", "Data/AbortScopeDbCommandExtensions.cs", "namespace AbortLab;"));
        Assert.Null(Mismatch("AbortLab.Yarp", "YarpAbortIntegration.cs", "namespace AbortLab.Yarp;"));
    }

    private static List<string> Mismatches(string src) =>
        [.. Directory.EnumerateDirectories(src)
            .SelectMany(project => Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
                .Where(path => !IsBuildOutput(path))
                .Select(path => Mismatch(Path.GetFileName(project), Path.GetRelativePath(project, path).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllText(path))))
            .OfType<string>()];

    private static string? Mismatch(string project, string relativePath, string text)
    {
        if (Path.GetFileNameWithoutExtension(relativePath).EndsWith("Extensions", StringComparison.Ordinal)
            || Namespace().Match(text) is not { Success: true } declared)
        {
            return null;
        }

        var folder = Path.GetDirectoryName(relativePath)!.Replace('/', '.');
        var expected = folder.Length == 0 ? project : $"{project}.{folder}";
        var actual = declared.Groups["name"].Value;
        return actual == expected ? null : $"{project}/{relativePath} is in {actual}, not {expected}";
    }

    private static bool IsBuildOutput(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        || path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    [GeneratedRegex(@"^namespace (?<name>[\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex Namespace();
}
