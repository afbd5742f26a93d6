using System.Globalization;

namespace AbortLab.Bench;

/// <summary>The OS's socket table (/proc/net/tcp, tcp6): server-side sockets of one local port by state.</summary>
internal static class TcpStates
{
    public const string Established = "01";
    public const string CloseWait = "08";

    public static int Count(int localPort, string state)
    {
        var count = 0;
        foreach (var path in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(path))
            {
                continue;
            }

            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 3 && fields[3] == state && int.Parse(fields[1][(fields[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == localPort)
                {
                    count++;
                }
            }
        }

        return count;
    }
}
