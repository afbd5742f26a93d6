using System.Runtime.CompilerServices;
using AbortLab.Connections;
using AbortLab.Timelines;

namespace AbortLab.Hosting;

/// <summary>
/// Hosts that record into one shared timeline store share one set of open connections: the diagnostics API of any
/// hop then shows all of them, as it shows all their timelines.
/// </summary>
internal static class SharedOpenConnections
{
    private static readonly ConditionalWeakTable<TimelineStore, OpenConnections> Sets = new();

    public static OpenConnections For(TimelineStore store) => Sets.GetValue(store, static _ => new OpenConnections());
}
