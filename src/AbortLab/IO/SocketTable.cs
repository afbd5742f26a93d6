using System.Globalization;

namespace AbortLab.IO;

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
        var entries = ReadAllEntries();
        var listening = ListeningPorts(entries, inodes).Order().ToList();

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

    /// <summary>
    /// The TCP connections this process opened itself (its local port is none of its listening ports), with the
    /// bytes waiting in each direction: a response nobody reads shows as a receive queue that does not drain.
    /// </summary>
    public static IReadOnlyList<OutboundConnection> ReadOutbound()
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }

        var descriptors = OwnSocketDescriptors();
        var inodes = descriptors.Keys.ToHashSet(StringComparer.Ordinal);
        var entries = ReadAllEntries();
        var listening = ListeningPorts(entries, inodes).ToHashSet();
        return [.. entries
            .Where(e => e.State != "0A" && inodes.Contains(e.Inode) && !listening.Contains(e.LocalPort) && e.Inode != "0")
            .Select(e => new OutboundConnection(e.Inode, e.Local, e.Remote, StateNames.GetValueOrDefault(e.State, e.State), e.SendQueue, e.ReceiveQueue)
            {
                LastReceivedMs = TcpInfo.MillisecondsSinceDataReceived(descriptors[e.Inode]),
            })];
    }

    /// <summary>
    /// Every TCP socket the operating system lists, of any process (the bench counts a server's sockets from outside
    /// it): local and remote port, state name (<c>established</c>, <c>closeWait</c>, …) and both endpoints.
    /// </summary>
    public static IReadOnlyList<TcpSocket> ReadAllSockets() => OperatingSystem.IsLinux()
        ? [.. ReadAllEntries().Select(e => new TcpSocket(e.LocalPort, e.RemotePort, StateNames.GetValueOrDefault(e.State, e.State), e.Local, e.Remote))]
        : [];

    private static List<Entry> ReadAllEntries() => [.. ReadEntries("/proc/net/tcp"), .. ReadEntries("/proc/net/tcp6")];

    private static IEnumerable<int> ListeningPorts(List<Entry> entries, HashSet<string> inodes) =>
        entries.Where(e => e.State == "0A" && inodes.Contains(e.Inode)).Select(e => e.LocalPort).Distinct();

    private static HashSet<string> OwnSocketInodes() => OwnSocketDescriptors().Keys.ToHashSet(StringComparer.Ordinal);

    /// <summary>Each socket inode of this process, with one descriptor that refers to it.</summary>
    private static Dictionary<string, int> OwnSocketDescriptors()
    {
        var inodes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFiles("/proc/self/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)
                    && int.TryParse(Path.GetFileName(fd), NumberStyles.None, CultureInfo.InvariantCulture, out var descriptor))
                {
                    inodes.TryAdd(target[8..^1], descriptor);
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
            var queues = fields[4].Split(':');
            yield return new Entry(port, fields[3], fields[9], local, fields[2], Hex(queues[0]), Hex(queues.Length > 1 ? queues[1] : "0"));
        }
    }

    private static long Hex(string value) => long.TryParse(value, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var number) ? number : 0;

    // /proc/net/tcp prints addresses as the kernel stores them: 32-bit words in host (little-endian) order, then the port.
    private static string Endpoint(string field)
    {
        var colon = field.LastIndexOf(':');
        var hex = field.AsSpan(0, colon);
        var port = int.Parse(field.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var bytes = new byte[hex.Length / 2];
        for (var word = 0; word < bytes.Length / 4; word++)
        {
            for (var i = 0; i < 4; i++)
            {
                bytes[(word * 4) + i] = byte.Parse(hex.Slice((word * 8) + ((3 - i) * 2), 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        var address = new System.Net.IPAddress(bytes);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return new System.Net.IPEndPoint(address, port).ToString();
    }

    private readonly record struct Entry(int LocalPort, string State, string Inode, string LocalField, string RemoteField, long SendQueue, long ReceiveQueue)
    {
        public string Local => Endpoint(LocalField);

        public string Remote => Endpoint(RemoteField);

        public int RemotePort => int.Parse(RemoteField.AsSpan(RemoteField.LastIndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}

/// <summary>One TCP socket of the operating system's table.</summary>
internal sealed record TcpSocket(int LocalPort, int RemotePort, string State, string Local, string Remote);

/// <summary>A TCP connection the process opened: its socket's inode is its id while it lives.</summary>
internal sealed record OutboundConnection(string Id, string Local, string Remote, string State, long SendQueue, long ReceiveQueue)
{
    /// <summary>
    /// Milliseconds since data last arrived on the connection (TCP_INFO), or null when unknown: a stream still read
    /// steadily queues nothing, but keeps arriving.
    /// </summary>
    public long? LastReceivedMs { get; init; }
}

internal sealed record SocketReport(bool Supported, IReadOnlyList<PortReport> Ports);

internal sealed record PortReport(int Port, IReadOnlyDictionary<string, int> States);
