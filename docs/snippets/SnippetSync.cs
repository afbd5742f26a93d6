using System.Text;
using System.Text.RegularExpressions;

namespace AbortLab.Snippets;

/// <summary>
/// Keeps the C# blocks of the Markdown equal to the compiled regions of this project. A block is introduced by
/// <c>&lt;!-- snippet: name --&gt;</c> on the line before its <c>```csharp</c> fence; every C# block must have one.
/// </summary>
public static partial class SnippetSync
{
    /// <summary>The Markdown files whose C# is compiled here, relative to the repository root.</summary>
    public static IEnumerable<string> MarkdownFiles(string root) =>
        new[] { Path.Combine(root, "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md"))
            .Concat(Directory.EnumerateDirectories(Path.Combine(root, "src")).Select(d => Path.Combine(d, "README.md")).Where(File.Exists))
            .Order(StringComparer.Ordinal);

    /// <summary>Every <c>#region name</c> of the snippet sources, its lines unindented.</summary>
    public static IReadOnlyDictionary<string, string> ReadRegions(string snippetsDirectory)
    {
        var regions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(snippetsDirectory, "*.cs").Where(f => Path.GetFileName(f) != "SnippetSync.cs"))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var start = RegionStart().Match(lines[i]);
                if (!start.Success)
                {
                    continue;
                }

                var name = start.Groups[1].Value;
                var end = Array.FindIndex(lines, i + 1, l => l.Trim() == "#endregion");
                if (end < 0)
                {
                    throw new InvalidOperationException($"{file}: #region {name} has no #endregion.");
                }

                var body = lines[(i + 1)..end];
                var indent = body.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
                var text = string.Join('\n', body.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
                if (!regions.TryAdd(name, text))
                {
                    throw new InvalidOperationException($"Two regions are named {name}.");
                }

                i = end;
            }
        }

        return regions;
    }

    /// <summary>Rewrites each file's snippet blocks from the regions; returns what is wrong, if anything.</summary>
    public static IReadOnlyList<string> Apply(string root, bool write)
    {
        var regions = ReadRegions(Path.Combine(root, "docs", "snippets"));
        var problems = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in MarkdownFiles(root))
        {
            var relative = Path.GetRelativePath(root, file);
            var lines = File.ReadAllLines(file).ToList();
            var output = new List<string>(lines.Count);
            for (var i = 0; i < lines.Count; i++)
            {
                if (lines[i].Trim() != "```csharp")
                {
                    output.Add(lines[i]);
                    continue;
                }

                var marker = i > 0 ? SnippetMarker().Match(lines[i - 1]) : Match.Empty;
                var close = lines.FindIndex(i + 1, l => l.Trim() == "```");
                if (!marker.Success)
                {
                    problems.Add($"{relative}:{i + 1}: a C# block without <!-- snippet: name --> on the line before it.");
                    output.AddRange(lines.GetRange(i, close - i + 1));
                    i = close;
                    continue;
                }

                var name = marker.Groups[1].Value;
                used.Add(name);
                var current = string.Join('\n', lines.GetRange(i + 1, close - i - 1));
                if (!regions.TryGetValue(name, out var compiled))
                {
                    problems.Add($"{relative}:{i + 1}: snippet {name} is not a region of docs/snippets.");
                    compiled = current;
                }
                else if (current != compiled)
                {
                    problems.Add($"{relative}:{i + 1}: snippet {name} differs from its compiled region (run: dotnet run --project docs/snippets sync).");
                }

                output.Add(lines[i]);
                output.AddRange(compiled.Split('\n'));
                output.Add(lines[close]);
                i = close;
            }

            if (write)
            {
                File.WriteAllText(file, string.Join('\n', output) + "\n", new UTF8Encoding(false));
            }
        }

        problems.AddRange(regions.Keys.Where(name => !used.Contains(name)).Select(name => $"docs/snippets: region {name} is used by no Markdown file."));
        return problems;
    }

    [GeneratedRegex(@"^\s*#region\s+(\S+)\s*$")]
    private static partial Regex RegionStart();

    [GeneratedRegex(@"^<!--\s*snippet:\s*(\S+)\s*-->$")]
    private static partial Regex SnippetMarker();
}
