using Microsoft.AspNetCore.Http;

namespace AbortLab.Diagnostics;

/// <summary>
/// The path prefixes where <c>MapAbortLab</c> put the diagnostics: the middleware records no timeline for them, or
/// the dashboard's own polling would fill the store.
/// </summary>
internal sealed class DiagnosticsPaths
{
    private readonly object _gate = new();
    private volatile PathString[] _prefixes = [];

    public void Add(PathString prefix)
    {
        lock (_gate)
        {
            _prefixes = [.. _prefixes, prefix];
        }
    }

    public bool Contains(PathString path)
    {
        foreach (var prefix in _prefixes)
        {
            if (path.StartsWithSegments(prefix))
            {
                return true;
            }
        }

        return false;
    }
}
