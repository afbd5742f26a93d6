using System.Reflection;
using NetArchTest.Rules;

namespace AbortLab.Tests.Architecture;

/// <summary>
/// The core's layers, bottom first; a namespace may use its own layer's vocabulary below it, never one above, and
/// the features of one layer do not use each other. Entry points (extension classes, in <c>Microsoft.*</c>
/// namespaces or the root's <c>*Extensions</c>) sit on top of everything and are not checked.
/// </summary>
public sealed class LayerTests
{
    private static readonly Assembly Core = typeof(AbortScope).Assembly;

    // Scopes and reasons (the root namespace) at the bottom; hosting, which wires the rest, on top.
    private static readonly string[][] Layers =
    [
        ["AbortLab"],
        ["AbortLab.IO", "AbortLab.Telemetry"],
        ["AbortLab.Timelines"],
        ["AbortLab.Connections", "AbortLab.Uploads", "AbortLab.Zombies", "AbortLab.Shutdown", "AbortLab.Sensors"],
        ["AbortLab.Propagation", "AbortLab.Processes", "AbortLab.Data", "AbortLab.Cpu", "AbortLab.Streams", "AbortLab.Background"],
        ["AbortLab.Diagnostics"],
        ["AbortLab.Integration"],
        ["AbortLab.Hosting"],
    ];

    public static TheoryData<string> Namespaces()
    {
        var data = new TheoryData<string>();
        foreach (var name in Layers.SelectMany(layer => layer))
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void EveryCoreNamespace_HasALayer()
    {
        var known = Layers.SelectMany(layer => layer).ToHashSet(StringComparer.Ordinal);
        var unplaced = Core.GetTypes()
            .Select(t => t.Namespace ?? "")
            .Where(ns => ns.StartsWith("AbortLab", StringComparison.Ordinal) && !known.Contains(ns))
            .Distinct()
            .ToArray();

        Assert.True(unplaced.Length == 0, $"Give these namespaces a layer in {nameof(LayerTests)}: {string.Join(", ", unplaced)}.");
    }

    [Theory]
    [MemberData(nameof(Namespaces))]
    public void Namespace_UsesNothingAboveItNorBesideIt(string name)
    {
        var level = Array.FindIndex(Layers, layer => layer.Contains(name));
        var forbidden = Layers.Skip(level + 1).SelectMany(layer => layer)
            .Concat(Layers[level].Where(sibling => sibling != name && sibling != "AbortLab"))
            .ToArray();
        if (forbidden.Length == 0)
        {
            return;
        }

        var types = name == "AbortLab"
            ? Types.InAssembly(Core).That().ResideInNamespaceMatching(@"^AbortLab$").And().DoNotHaveNameEndingWith("Extensions")
            : Types.InAssembly(Core).That().ResideInNamespaceMatching($"^{name.Replace(".", @"\.", StringComparison.Ordinal)}$");
        var result = types.ShouldNot().HaveDependencyOnAny(forbidden).GetResult();

        Assert.True(
            result.IsSuccessful,
            $"{name} must not use {string.Join(", ", forbidden)}, but these types do: {string.Join(", ", result.FailingTypeNames ?? [])}.");
    }
}
