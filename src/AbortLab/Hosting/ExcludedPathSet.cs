using Microsoft.AspNetCore.Http;

namespace AbortLab.Hosting;

/// <summary>
/// <see cref="AbortLabOptions.ExcludedPaths"/> as path strings, made once per options instance (a reload makes a new
/// instance), so that a request compares segments and allocates nothing.
/// </summary>
internal sealed class ExcludedPathSet
{
    private readonly PathString[] _prefixes;

    private ExcludedPathSet(AbortLabOptions? source, PathString[] prefixes)
    {
        Source = source;
        _prefixes = prefixes;
    }

    public static ExcludedPathSet None { get; } = new(null, []);

    /// <summary>The options these prefixes were read from.</summary>
    public AbortLabOptions? Source { get; }

    public static ExcludedPathSet From(AbortLabOptions options) =>
        new(options, [.. options.ExcludedPaths.Select(static path => new PathString(path))]);

    public bool Matches(PathString path)
    {
        foreach (var prefix in _prefixes)
        {
            if (path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
