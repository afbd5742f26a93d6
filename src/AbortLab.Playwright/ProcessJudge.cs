using System.Globalization;

namespace AbortLab.Playwright;

/// <summary>
/// Judges what the operating system saw each process do, which the app did not register: CPU still wanted once the
/// request's work stopped, child processes the request started and left alive, connections it opened and left with
/// bytes nobody reads.
/// </summary>
internal static class ProcessJudge
{
    /// <summary>Threads of the runtime itself (JIT, GC, finalizer, …): their bursts after a busy request are no app work.</summary>
    private static readonly string[] RuntimeThreadPrefixes =
        [".NET Tiered", ".NET BGC", ".NET Server GC", ".NET GC", ".NET Finalizer", ".NET SigHandler", ".NET EventPipe", ".NET Debugger"];

    /// <summary>A thread runnable (on a core, or waiting for one) at least this share of a slice...</summary>
    internal const double CpuBoundShare = 0.6;

    /// <summary>
    /// ... that gave up its core to wait at most this often in it, besides once for each garbage collection of the
    /// slice (a collection suspends every managed thread: seen as 3+ switches a slice in a busy test process), never
    /// blocked ...
    /// </summary>
    internal const long MaxBlocksPerSlice = 2;

    /// <summary>Voluntary switches a garbage collection may cost a thread (a background collection suspends twice).</summary>
    internal const long BlocksPerCollection = 2;

    /// <summary>... and ran on a core at least this share of it, computes (a thread kept off the cores by busier ones does not).</summary>
    internal const double CpuBoundRunShare = 0.2;

    /// <summary>
    /// Compares consecutive snapshots of the quiet window, slice by slice. Work that was never stopped computes in
    /// every slice; the runtime's bursts (tiered JIT, GC), the snapshots' own cost and a busy machine's noise come and
    /// go. A process fails when, in every slice, one of its app threads never blocked (runnable for at least
    /// <see cref="CpuBoundShare"/> of the slice and gave up its core to wait at most <see cref="MaxBlocksPerSlice"/>
    /// times: a synchronous loop, whatever share of a core a loaded machine gives it; a loaded machine makes a thread
    /// that wakes often wait long for a core, but every wake-up is a voluntary switch),
    /// or its app threads together ran on a core for at least <paramref name="threshold"/> cores while at least one of
    /// them was always runnable (a loop that hops threads). Waiting for a core alone is not counted: on a loaded
    /// machine every thread that merely wakes often waits long. Returns the least any slice ran, summed over the
    /// processes (null without a sensor).
    /// </summary>
    /// <param name="verdict">The verdict to fail.</param>
    /// <param name="samples">The quiet window's snapshots, one list per sample.</param>
    /// <param name="threshold">The cores a loop that hops threads must keep busy (<see cref="AbortRigOptions.CpuThreshold"/>).</param>
    /// <param name="baselineSamples">The same processes sampled before the request, slice by slice: their idle.</param>
    public static double? JudgeCpu(AbortVerdict verdict, IReadOnlyList<IReadOnlyList<ProcessReading>> samples, double threshold, IReadOnlyList<IReadOnlyList<ProcessReading>>? baselineSamples = null)
    {
        double? total = null;
        foreach (var first in samples[0].Where(s => s.Supported))
        {
            var series = samples.Select(sample => sample.FirstOrDefault(s => s.ProcessId == first.ProcessId)).ToList();
            if (series.Any(s => s is null))
            {
                continue;
            }

            var slices = series.Zip(series.Skip(1), (before, after) => Slice.Of(before!, after!)).Where(w => w.WindowNs > 0).ToList();
            if (slices.Count == 0)
            {
                continue;
            }

            var sustained = slices.Min(w => w.RunCores);
            total = (total ?? 0) + sustained;
            var busiest = slices.SelectMany(w => w.Threads.Select(t => t.Id)).Distinct()
                .Select(id => (
                    Share: slices.Min(w => w.Threads.FirstOrDefault(t => t.Id == id) is { } t ? t.RunnableNs / (double)w.WindowNs : 0),
                    Blocks: slices.Min(w => w.Threads.FirstOrDefault(t => t.Id == id)?.Blocks ?? 0)))
                .DefaultIfEmpty((Share: 0d, Blocks: 0L))
                .OrderByDescending(t => t.Share)
                .First();
            if (busiest.Share >= (verdict.QuietCpuBoundShare ?? 0))
            {
                verdict.QuietCpuBoundShare = busiest.Share;
                verdict.QuietCpuBusiestBlocks = busiest.Blocks;
            }
            var bound = slices.Skip(1).Aggregate(slices[0].CpuBoundThreads, (ids, slice) => [.. ids.Intersect(slice.CpuBoundThreads)]);
            var hopping = slices.All(w => w.RunCores >= threshold && w.RunnableCores >= CpuBoundShare);
            var idle = IdleCores(baselineSamples, first.ProcessId);
            if (idle is { } idleCores)
            {
                verdict.BaselineCpuCores = (verdict.BaselineCpuCores ?? 0) + idleCores;
            }

            if (bound.Count == 0 && !hopping)
            {
                if (idle is { } before && sustained >= Math.Max(before * AboveIdleFactor, before + AboveIdleMargin))
                {
                    var window = Slice.Of(series[0]!, series[^1]!);
                    verdict.Fail(
                        $"work the app did not register is still running: process {first.ProcessId} kept working after the request's work stopped, with nothing tracked running and no request in flight: its app threads ran at least "
                        + $"{sustained.ToString("0.00", CultureInfo.InvariantCulture)} cores in each of {slices.Count} slices of the {Milliseconds(window.WindowNs)}, against at most {before.ToString("0.00", CultureInfo.InvariantCulture)} "
                        + $"before the request (busiest: {string.Join(", ", window.Threads.Take(3).Select(t => $"'{t.Name}' {(t.RunNs / (double)window.WindowNs).ToString("P0", CultureInfo.InvariantCulture)}"))}). "
                        + HandedOnAdvice);
                }

                continue;
            }

            var whole = Slice.Of(series[0]!, series[^1]!);
            var what = bound.Count > 0
                ? $"thread{(bound.Count > 1 ? "s" : string.Empty)} {string.Join(", ", whole.Threads.Where(t => bound.Contains(t.Id)).Select(t => $"'{t.Name}' ({t.Id})"))} never blocked"
                : $"its threads ran on at least {sustained.ToString("0.00", CultureInfo.InvariantCulture)} cores with one always runnable";
            verdict.Fail(
                $"work the app did not register is still running: in process {first.ProcessId}, {what} in each of {slices.Count} slices of the {Milliseconds(whole.WindowNs)} after the request's work stopped, with nothing tracked running and no request in flight "
                + $"(busiest on a core: {string.Join(", ", whole.Threads.Take(3).Select(t => $"'{t.Name}' {(t.RunNs / (double)whole.WindowNs).ToString("P0", CultureInfo.InvariantCulture)}"))}; ran {whole.RunCores.ToString("0.00", CultureInfo.InvariantCulture)} cores, runnable {whole.RunnableCores.ToString("0.00", CultureInfo.InvariantCulture)}). "
                + HandedOnAdvice);
        }

        return total;
    }

    // Either CPU rule may catch the same fault (a queue worker that computes steadily looks like a loop that hops
    // threads), so both give every way work leaves a request and the fix for each.
    private const string HandedOnAdvice =
        "Work handed on without the request's token (Task.Run, a thread, a timer, a queue into a background service) ran on after its client left: "
        + "pass it AbortScope.Token or run it through AbortScope.RunAsync; for a queue, hand the item the request's scope (AbortScope.Current) "
        + "and run it with scope.RunAsync(name, token => ...).";

    /// <summary>
    /// Work after the request must use this many times its process's idle, ... Twice was too much for a process the
    /// rig itself keeps busy: with the rig in the app's process, idle slices of 0.27–0.37 cores hid a queue worker
    /// adding 0.2–0.25 cores (1.65–1.8 times the idle) in 2 of 2 CI runs; the twins and matrix cells of the same
    /// runs stayed within 1.31 times and 0.064 cores of their idle. Below an idle of 0.6 cores the margin decides.
    /// </summary>
    internal const double AboveIdleFactor = 1.25;

    /// <summary>... and this many cores more: a process idle at 0.01 cores may wake to 0.05 on a busy machine.</summary>
    internal const double AboveIdleMargin = 0.15;

    /// <summary>The most cores a process's app threads ran in any slice before the request, or null without a baseline.</summary>
    private static double? IdleCores(IReadOnlyList<IReadOnlyList<ProcessReading>>? baselineSamples, int processId)
    {
        if (baselineSamples is not { Count: >= 2 })
        {
            return null;
        }

        var series = baselineSamples.Select(sample => sample.FirstOrDefault(s => s.ProcessId == processId && s.Supported)).ToList();
        if (series.Any(s => s is null))
        {
            return null;
        }

        var slices = series.Zip(series.Skip(1), (before, after) => Slice.Of(before!, after!)).Where(w => w.WindowNs > 0).ToList();
        return slices.Count == 0 ? null : slices.Max(w => w.RunCores);
    }

    private sealed record SliceThread(int Id, string Name, long RunNs, long RunnableNs, long Blocks);

    private sealed record Slice(long WindowNs, double RunCores, double RunnableCores, HashSet<int> CpuBoundThreads, List<SliceThread> Threads)
    {
        public static Slice Of(ProcessReading before, ProcessReading after)
        {
            var windowNs = after.MonotonicNs - before.MonotonicNs;
            var maxBlocks = MaxBlocksPerSlice + (BlocksPerCollection * Math.Max(0, after.GarbageCollections - before.GarbageCollections));
            var threads = after.Threads
                .Where(t => !RuntimeThreadPrefixes.Any(prefix => t.Name.StartsWith(prefix, StringComparison.Ordinal)))
                .Select(t => (Thread: t, Before: before.Threads.FirstOrDefault(b => b.Id == t.Id)))
                .Select(p => new SliceThread(
                    p.Thread.Id,
                    p.Thread.Name,
                    p.Thread.RunNs - (p.Before?.RunNs ?? 0),
                    p.Thread.RunNs + p.Thread.WaitNs - (p.Before is null ? 0 : p.Before.RunNs + p.Before.WaitNs),
                    p.Before is null ? long.MaxValue : p.Thread.VoluntarySwitches - p.Before.VoluntarySwitches))
                .Where(t => t.RunnableNs > 0)
                .OrderByDescending(t => t.RunNs)
                .ToList();
            return windowNs <= 0
                ? new Slice(windowNs, 0, 0, [], [])
                : new Slice(
                    windowNs,
                    threads.Sum(t => t.RunNs) / (double)windowNs,
                    threads.Sum(t => t.RunnableNs) / (double)windowNs,
                    [.. threads.Where(t => t.RunnableNs >= CpuBoundShare * windowNs && t.Blocks <= maxBlocks && t.RunNs >= CpuBoundRunShare * windowNs).Select(t => t.Id)],
                    threads);
        }
    }

    public static void JudgeChildren(AbortVerdict verdict, IReadOnlyList<ProcessReading> baseline, IReadOnlyList<ProcessReading> end)
    {
        foreach (var after in end.Where(s => s.Supported))
        {
            var before = baseline.FirstOrDefault(s => s.ProcessId == after.ProcessId);
            var known = before?.Children.Select(c => c.RootChildId).ToHashSet() ?? [];
            var knownIds = before?.Children.Select(c => c.Id).ToHashSet() ?? [];
            foreach (var child in after.Children.Where(c => !known.Contains(c.RootChildId) && !knownIds.Contains(c.Id)))
            {
                verdict.Fail($"child process '{child.Name}' (pid {child.Id}: {child.CommandLine}) that process {after.ProcessId} started during the request is still running "
                    + "after the request ended: waiting on it with the token only stops the wait. Kill it (Process.Kill(entireProcessTree: true)) or run it through AbortScope.RunProcessAsync.");
            }
        }
    }

    /// <summary>
    /// Judges the connections each process opened during the request. The rig's own (<paramref name="rigLocalPorts"/>, the
    /// local ports of its diagnostics reader, in the app's process when the rig runs in an xUnit fixture) are left out by
    /// their local port: a connection from the app to a backend is judged even when that backend is a diagnostics address.
    /// One with nothing queued fails too if data still arrived on it during the quiet window: a stream read steadily.
    /// </summary>
    /// <remarks>
    /// A stream read steadily is judged only towards hosts that are not diagnostics addresses: a client of AbortLab's
    /// event stream (the dashboard, a test in the app's process) receives steadily by design, and its connection is
    /// indistinguishable from the app's.
    /// </remarks>
    public static void JudgeConnections(AbortVerdict verdict, IReadOnlyList<ProcessReading> baseline, IReadOnlyList<ProcessReading> end, IReadOnlySet<int> rigLocalPorts, TimeSpan quietWindow, IReadOnlySet<int>? diagnosticsPorts = null)
    {
        foreach (var after in end.Where(s => s.Supported))
        {
            var before = baseline.FirstOrDefault(s => s.ProcessId == after.ProcessId);
            var known = before?.Outbound.Select(c => c.Id).ToHashSet(StringComparer.Ordinal) ?? [];
            foreach (var connection in after.Outbound.Where(c => !known.Contains(c.Id) && !rigLocalPorts.Contains(PortOf(c.Local))))
            {
                if (connection.State is "established" or "closeWait" && (connection.ReceiveQueue > 0 || connection.SendQueue > 0))
                {
                    verdict.Fail($"process {after.ProcessId} opened a connection during the request ({connection.Local} → {connection.Remote}) that is still {connection.State} "
                        + $"with {connection.ReceiveQueue} bytes received and unread, {connection.SendQueue} unsent: a response nobody reads (dispose the HttpResponseMessage, read its body with the token).");
                }
                else if (connection.State is "established" or "closeWait" && connection.LastReceivedMs is { } since && since < quietWindow.TotalMilliseconds
                    && diagnosticsPorts?.Contains(PortOf(connection.Remote)) != true)
                {
                    verdict.Fail($"process {after.ProcessId} opened a connection during the request ({connection.Local} → {connection.Remote}) that is still {connection.State} "
                        + $"and received data {since} ms ago, in the quiet window, with nothing left unread: something still reads a stream for a client that left "
                        + "(a raw socket or a response read without the request's token).");
                }
                else if (connection.State is "established" or "closeWait")
                {
                    verdict.Note($"process {after.ProcessId} kept a connection it opened during the request ({connection.Local} → {connection.Remote}, {connection.State}, nothing pending"
                        + $"{(connection.LastReceivedMs is { } idle ? $", nothing received for {idle} ms" : string.Empty)}): a pooled connection, most likely.");
                }
            }
        }
    }

    private static int PortOf(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        return colon > 0 && int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : -1;
    }

    private static string Milliseconds(long ns) => (ns / 1_000_000.0).ToString("0", CultureInfo.InvariantCulture) + " ms";
}
