using System.Globalization;

namespace AbortLab;

/// <summary>
/// The operating system's view of this process's listening TCP ports: how many server-side sockets of each port
/// are established, in CLOSE_WAIT (the client closed, the server has not: the leak this project hunts), in
/// TIME_WAIT, and so on. Read from <c>/proc/net/tcp</c> and <c>/proc/net/tcp6</c>, matching this process's socket
/// inodes from <c>/proc/self/fd</c>; Linux only.
/// </summary>
internal static class SocketTable
{
    // include/net/tcp_states.h, as /proc/net/tcp prints them (hex).
    private static readonly Dictionary<string, string> StateNames = new(StringComparer.Ordinal)
    {
        ["01"] = "established",
        ["02"] = "synSent",
        ["03"] = "synReceived",
        ["04"] = "finWait1",
        ["05"] = "finWait2",
        ["06"] = "timeWait",
        ["07"] = "close",
        ["08"] = "closeWait",
        ["09"] = "lastAck",
        ["0B"] = "closing",
    };

    public static SocketReport Read()
    {
        if (!OperatingSystem.IsLinux())
        {
            return new SocketReport(false, []);
        }

        var inodes = OwnSocketInodes();
        var entries = ReadEntries("/proc/net/tcp").Concat(ReadEntries("/proc/net/tcp6")).ToList();
        var listening = entries.Where(e => e.State == "0A" && inodes.Contains(e.Inode)).Select(e => e.LocalPort).Distinct().Order().ToList();

        var ports = new List<PortReport>(listening.Count);
        foreach (var port in listening)
        {
            var counts = StateNames.Values.ToDictionary(name => name, _ => 0, StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                if (entry.LocalPort == port && StateNames.TryGetValue(entry.State, out var name))
                {
                    counts[name]++;
                }
            }

            ports.Add(new PortReport(port, counts));
        }

        return new SocketReport(true, ports);
    }

    private static HashSet<string> OwnSocketInodes()
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFiles("/proc/self/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target[8..^1]);
                }
            }
            catch (IOException)
            {
                // The descriptor closed while we looked.
            }
        }

        return inodes;
    }

    private static IEnumerable<Entry> ReadEntries(string path)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 10)
            {
                continue;
            }

            var local = fields[1];
            var port = int.Parse(local.AsSpan(local.LastIndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            yield return new Entry(port, fields[3], fields[9]);
        }
    }

    private readonly record struct Entry(int LocalPort, string State, string Inode);
}

internal sealed record SocketReport(bool Supported, IReadOnlyList<PortReport> Ports);

internal sealed record PortReport(int Port, IReadOnlyDictionary<string, int> States);
