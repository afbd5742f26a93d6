namespace AbortLab.SlowTests;

/// <summary>
/// Tests that build the repository's projects in Release (pack, the benchmark smoke run) share obj/Release: they
/// run one at a time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ReleaseBuildCollection
{
    public const string Name = "release builds";
}
