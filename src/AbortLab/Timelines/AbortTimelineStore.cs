namespace AbortLab.Timelines;

/// <summary>
/// Makes a timeline store that several hosts in one process can share: register the same instance as
/// <see cref="IAbortTimelineStore"/> in each host's services before <c>AddAbortLab</c>, and every hop records into it
/// (each under its own <see cref="Hosting.AbortLabOptions.HopName"/>), open connections included.
/// </summary>
internal static class AbortTimelineStore
{
    /// <summary>
    /// Creates a store.
    /// </summary>
    /// <param name="capacity">How many timelines it keeps; from 1.</param>
    /// <param name="eventCapacity">How many events it keeps; from 1.</param>
    /// <returns>The store.</returns>
    public static IAbortTimelineStore Create(int capacity = 10_000, int eventCapacity = 100_000) => new TimelineStore(capacity, eventCapacity);
}
