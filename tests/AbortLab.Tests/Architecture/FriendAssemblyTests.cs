using System.Text.RegularExpressions;
using System.Xml.Linq;
using AbortLab.Testing;

namespace AbortLab.Tests.Architecture;

/// <summary>
/// No shipping package sees another's internals: a user who updates one package and not the other would get a
/// <see cref="MissingMethodException"/> at run time, and a third party could not write what our own packages do.
/// Tests, the lab and the bench (never packed) may be friends; so may the <c>abortlab-rig</c> tool, which carries
/// the packages it uses inside it.
/// </summary>
public sealed partial class FriendAssemblyTests
{
    private static readonly HashSet<string> ExemptFriends = new(StringComparer.Ordinal) { "AbortLab.Rig" };

    [Fact]
    public void NoShippingPackage_IsAFriendOfAnother()
    {
        var projects = SourceProjects(RepositoryRoot.Find());

        var violations = Violations(projects);

        Assert.True(violations.Count == 0, "Use the public API (AbortLab.Integration) instead of InternalsVisibleTo: " + string.Join("; ", violations));
    }

    [Fact]
    public void Rule_RefusesAFriendThatShips_AndAllowsTestsAndTheTool()
    {
        var projects = new[]
        {
            new SourceProject("AbortLab", IsPackable: true, Friends: ["AbortLab.Tests", "AbortLab.Rig", "AbortLab.Yarp"]),
            new SourceProject("AbortLab.Yarp", IsPackable: true, Friends: ["AbortLab.Lab"]),
            new SourceProject("AbortLab.Lab", IsPackable: false, Friends: []),
            new SourceProject("AbortLab.Rig", IsPackable: true, Friends: []),
        };

        var violation = Assert.Single(Violations(projects));

        Assert.Equal("AbortLab makes its internals visible to the shipping package AbortLab.Yarp", violation);
    }

    [Fact]
    public void SourceProjects_ReadsFriendsFromProjectFilesAndAttributes()
    {
        var projects = SourceProjects(RepositoryRoot.Find());

        var core = Assert.Single(projects, p => p.Name == "AbortLab");
        Assert.True(core.IsPackable);
        Assert.Contains("AbortLab.Tests", core.Friends);
        Assert.False(Assert.Single(projects, p => p.Name == "AbortLab.Lab").IsPackable);
    }

    private static List<string> Violations(IReadOnlyCollection<SourceProject> projects)
    {
        var shipping = projects.Where(p => p.IsPackable).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        return [.. projects
            .Where(p => p.IsPackable)
            .SelectMany(p => p.Friends.Where(friend => shipping.Contains(friend) && !ExemptFriends.Contains(friend))
                .Select(friend => $"{p.Name} makes its internals visible to the shipping package {friend}"))];
    }

    // Packable unless the project says otherwise: src/Directory.Build.props makes every source project a package.
    private static List<SourceProject> SourceProjects(string root)
    {
        var projects = new List<SourceProject>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            var project = XDocument.Load(file);
            var isPackable = !project.Descendants("IsPackable").Any(e => string.Equals(e.Value.Trim(), "false", StringComparison.OrdinalIgnoreCase));
            var friends = project.Descendants("InternalsVisibleTo").Select(e => (string?)e.Attribute("Include") ?? string.Empty)
                .Concat(Directory.EnumerateFiles(Path.GetDirectoryName(file)!, "*.cs", SearchOption.AllDirectories)
                    .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                    .SelectMany(path => FriendAttribute().Matches(File.ReadAllText(path)).Select(m => m.Groups["name"].Value)))
                .Select(name => name.Split(',')[0].Trim())
                .ToList();
            projects.Add(new SourceProject(Path.GetFileNameWithoutExtension(file), isPackable, friends));
        }

        return projects;
    }

    [GeneratedRegex(@"\[assembly:\s*(?:System\.Runtime\.CompilerServices\.)?InternalsVisibleTo(?:Attribute)?\(\s*""(?<name>[^""]+)""")]
    private static partial Regex FriendAttribute();

    private sealed record SourceProject(string Name, bool IsPackable, IReadOnlyList<string> Friends);
}
