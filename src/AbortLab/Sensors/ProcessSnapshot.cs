using AbortLab.IO;

namespace AbortLab.Sensors;

/// <summary>
/// What the operating system says this process is doing, whatever the app told AbortLab: CPU per thread, the
/// thread pool, the processes it started and the connections it opened. Read by the rig before and after an abort;
/// the differences are what the app did without registering it. <paramref name="GarbageCollections"/> counts the
/// collections so far: each one suspends every managed thread, which the OS counts as a voluntary switch even for a
/// thread that never stops computing.
/// </summary>
internal sealed record ProcessSnapshot(
    bool Supported,
    int ProcessId,
    DateTimeOffset SampledAt,
    long MonotonicNs,
    double CpuMs,
    IReadOnlyList<ThreadSample> Threads,
    ThreadPoolSample ThreadPool,
    long LastRequestId,
    int ActiveRequests,
    IReadOnlyList<DescendantProcess> Children,
    IReadOnlyList<OutboundConnection> Outbound,
    long GarbageCollections = 0);

/// <summary>
/// One thread's CPU so far: <paramref name="RunNs"/> on a core, <paramref name="WaitNs"/> runnable but waiting for
/// one (from <c>/proc/self/task/*/schedstat</c>), and <paramref name="VoluntarySwitches"/>, how often it gave up its
/// core to wait (<c>status</c>). A thread that never stops never switches voluntarily, however loaded the machine is.
/// </summary>
internal sealed record ThreadSample(int Id, string Name, long RunNs, long WaitNs, long VoluntarySwitches = 0);

internal sealed record ThreadPoolSample(int Threads, long PendingWorkItems, long CompletedWorkItems);

/// <summary>A process descended from this one; <paramref name="RootChildId"/> is the ancestor this process started itself.</summary>
internal sealed record DescendantProcess(int Id, int ParentId, int RootChildId, string Name, string CommandLine, double AgeMs);
