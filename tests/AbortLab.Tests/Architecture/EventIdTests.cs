using System.Text.RegularExpressions;
using AbortLab.Testing;

namespace AbortLab.Tests.Architecture;

/// <summary>
/// Every log event of every package takes its id from its package's <c>EventIds</c> registry, no two events of any
/// AbortLab package share an id (a log pipeline filtering by id must never mix an idempotency warning with a database
/// one), and the telemetry page lists each.
/// </summary>
public sealed partial class EventIdTests
{
    private static readonly string Root = RepositoryRoot.Find();

    [Fact]
    public void EveryLogEvent_TakesItsIdAndNameFromTheRegistry()
    {
        var strays = SourceFiles()
            .SelectMany(file => LogAttribute().Matches(File.ReadAllText(file)).Select(m => (File: Path.GetRelativePath(Root, file), Attribute: m.Value)))
            .Where(found => !RegistryUse().IsMatch(found.Attribute))
            .Select(found => $"{found.File}: {found.Attribute}")
            .ToList();

        Assert.True(strays.Count == 0, "Use [LoggerMessage(EventIds.Name, ..., EventName = nameof(EventIds.Name))]: " + string.Join("; ", strays));
    }

    [Fact]
    public void NoTwoEvents_OfAnyPackage_ShareAnId()
    {
        var events = RegisteredEvents();

        var shared = events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => $"{e.Package}.{e.Name}"))}").ToList();

        Assert.NotEmpty(events);
        Assert.True(shared.Count == 0, "Event ids used twice: " + string.Join("; ", shared));
    }

    [Fact]
    public void TheTelemetryPage_ListsEveryShippedEvent_WithItsId()
    {
        var page = File.ReadAllText(Path.Combine(Root, "docs", "telemetry.md"));

        var missing = RegisteredEvents().Where(e => e.Package != "AbortLab.Lab" && !page.Contains($"`{e.Name}` ({e.Id},", StringComparison.Ordinal)).Select(e => $"{e.Name} ({e.Id})").ToList();

        Assert.True(missing.Count == 0, "docs/telemetry.md does not list: " + string.Join(", ", missing));
    }

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static List<(string Package, string Name, int Id)> RegisteredEvents() =>
        [.. Directory.EnumerateDirectories(Path.Combine(Root, "src"))
            .Select(package => (Package: Path.GetFileName(package), Registry: Path.Combine(package, "EventIds.cs")))
            .Where(p => File.Exists(p.Registry))
            .SelectMany(p => RegistryEntry().Matches(File.ReadAllText(p.Registry))
                .Select(m => (p.Package, m.Groups["name"].Value, int.Parse(m.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture))))];

    [GeneratedRegex(@"\[LoggerMessage\((?:[^\]""]|""[^""]*"")*\)\]")]
    private static partial Regex LogAttribute();

    [GeneratedRegex(@"^\[LoggerMessage\(EventIds\.(?<name>\w+),.*EventName = nameof\(EventIds\.\k<name>\)\)\]$")]
    private static partial Regex RegistryUse();

    [GeneratedRegex(@"public const int (?<name>\w+) = (?<id>\d+);")]
    private static partial Regex RegistryEntry();
}
