using System.Diagnostics;
using System.Globalization;
using AbortLab.IO;
using AbortLab.Timelines;

namespace AbortLab.Sensors;

/// <summary>
/// Reads a <see cref="ProcessSnapshot"/> from <c>/proc</c>. Linux only: elsewhere the snapshot says it is not
/// supported and the rig skips the checks that need it.
/// </summary>
internal static class ProcessSensor
{
    // USER_HZ: the unit of /proc/<pid>/stat's times, 100 on every Linux architecture's user-space ABI.
    private const double ClockTicksPerSecond = 100;
    private const int MaxCommandLine = 200;

    public static ProcessSnapshot Read(TimelineStore store, int activeRequests, TimeProvider time)
    {
        var pool = new ThreadPoolSample(ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount, ThreadPool.CompletedWorkItemCount);
        using var process = Process.GetCurrentProcess();
        var self = Environment.ProcessId;
        if (!OperatingSystem.IsLinux())
        {
            return new ProcessSnapshot(false, self, time.GetUtcNow(), MonotonicNs(), process.TotalProcessorTime.TotalMilliseconds, [], pool, store.LastTimelineId, activeRequests, [], [], GC.CollectionCount(0));
        }

        return new ProcessSnapshot(
            true,
            self,
            time.GetUtcNow(),
            MonotonicNs(),
            process.TotalProcessorTime.TotalMilliseconds,
            ReadThreads(),
            pool,
            store.LastTimelineId,
            activeRequests,
            ReadDescendants(self),
            SocketTable.ReadOutbound(),
            GC.CollectionCount(0));
    }

    private static long MonotonicNs() => (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));

    private static List<ThreadSample> ReadThreads()
    {
        var threads = new List<ThreadSample>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var (name, voluntarySwitches) = ReadStatus(Path.Combine(task, "status"));
                threads.Add(new ThreadSample(
                    int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture),
                    name,
                    long.Parse(fields[0], CultureInfo.InvariantCulture),
                    long.Parse(fields[1], CultureInfo.InvariantCulture),
                    voluntarySwitches));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // The thread ended while we looked.
            }
        }

        return threads;
    }

    /// <summary>The thread's name, and how many times it gave up its core to wait (sleep, I/O, a lock).</summary>
    private static (string Name, long VoluntarySwitches) ReadStatus(string path)
    {
        string name = string.Empty;
        long voluntary = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("Name:", StringComparison.Ordinal))
            {
                name = line[5..].Trim();
            }
            else if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
            {
                voluntary = long.Parse(line.AsSpan(24).Trim(), CultureInfo.InvariantCulture);
                break;
            }
        }

        return (name, voluntary);
    }

    private static List<DescendantProcess> ReadDescendants(int self)
    {
        var uptimeSeconds = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
        var all = new Dictionary<int, (int Parent, string Name, double StartSeconds)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                var name = stat[(stat.IndexOf('(') + 1)..close];
                if (fields[0] is "Z" or "X")
                {
                    // Exited, waiting to be reaped: no longer running.
                    continue;
                }

                all[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture), name, long.Parse(fields[19], CultureInfo.InvariantCulture) / ClockTicksPerSecond);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                // The process ended while we looked.
            }
        }

        var children = new List<DescendantProcess>();
        foreach (var (pid, info) in all)
        {
            // Walk up to this process; the last step below it is the child this process started itself.
            var root = pid;
            var parent = info.Parent;
            for (var depth = 0; parent != self && parent > 1 && depth < 64 && all.TryGetValue(parent, out var up); depth++)
            {
                root = parent;
                parent = up.Parent;
            }

            if (parent == self && pid != self)
            {
                children.Add(new DescendantProcess(pid, info.Parent, root, info.Name, CommandLine(pid), Math.Round((uptimeSeconds - info.StartSeconds) * 1000, 0)));
            }
        }

        return children;
    }

    private static string CommandLine(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
            return text.Length <= MaxCommandLine ? text : text[..MaxCommandLine];
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
