namespace AbortLab.Playwright;

/// <summary>
/// The rig's reading of a hop's <c>/api/process</c> answer: what the operating system says the process does (CPU per
/// thread, the thread pool, the processes it started, the connections it opened), before and after an abort. The rig
/// reads it as JSON from the diagnostics API, never through AbortLab's own types, so that it works with any version
/// of AbortLab that serves the same fields; a field it does not know is ignored, one that is missing keeps its default.
/// </summary>
internal sealed record ProcessReading(
    bool Supported,
    int ProcessId,
    DateTimeOffset SampledAt,
    long MonotonicNs,
    double CpuMs,
    IReadOnlyList<ThreadReading> Threads,
    ThreadPoolReading ThreadPool,
    long LastRequestId,
    int ActiveRequests,
    IReadOnlyList<DescendantReading> Children,
    IReadOnlyList<ConnectionReading> Outbound,
    long GarbageCollections = 0);

/// <summary>One thread's CPU so far: on a core, runnable but waiting for one, and how often it gave up its core.</summary>
internal sealed record ThreadReading(int Id, string Name, long RunNs, long WaitNs, long VoluntarySwitches = 0);

/// <summary>The thread pool's size and counters.</summary>
internal sealed record ThreadPoolReading(int Threads, long PendingWorkItems, long CompletedWorkItems);

/// <summary>A process descended from the hop's; <paramref name="RootChildId"/> is the ancestor the hop started itself.</summary>
internal sealed record DescendantReading(int Id, int ParentId, int RootChildId, string Name, string CommandLine, double AgeMs);

/// <summary>A TCP connection the hop opened, its queues, and how long since data last arrived (null when unknown).</summary>
internal sealed record ConnectionReading(string Id, string Local, string Remote, string State, long SendQueue, long ReceiveQueue)
{
    public long? LastReceivedMs { get; init; }
}
