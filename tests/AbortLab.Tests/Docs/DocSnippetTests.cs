using AbortLab.Snippets;
using AbortLab.Testing;

namespace AbortLab.Tests.Docs;

public sealed class DocSnippetTests
{
    [Fact]
    public void EveryCSharpBlockOfTheDocs_IsACompiledSnippet_AndMatchesIt()
    {
        var problems = SnippetSync.Apply(RepositoryRoot.Find(), write: false);

        Assert.True(problems.Count == 0, "The docs and docs/snippets differ; run `dotnet run --project docs/snippets sync`:\n" + string.Join('\n', problems));
    }

    [Fact]
    public void SnippetSync_FlagsABlockThatDriftedFromItsRegion()
    {
        var root = Directory.CreateTempSubdirectory("abortlab-snippets-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "docs", "snippets"));
            Directory.CreateDirectory(Path.Combine(root, "src"));
            File.WriteAllText(Path.Combine(root, "docs", "snippets", "A.cs"), "class A\n{\n    void M()\n    {\n        #region a\n        var x = 1;\n        #endregion\n    }\n}\n");
            File.WriteAllText(Path.Combine(root, "README.md"), "<!-- snippet: a -->\n```csharp\nvar x = 2;\n```\n\n```csharp\nunmarked();\n```\n");

            var problems = SnippetSync.Apply(root, write: false);

            Assert.Contains(problems, p => p.Contains("snippet a differs", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.Contains("without <!-- snippet", StringComparison.Ordinal));
            SnippetSync.Apply(root, write: true);
            Assert.Contains("var x = 1;", File.ReadAllText(Path.Combine(root, "README.md")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
