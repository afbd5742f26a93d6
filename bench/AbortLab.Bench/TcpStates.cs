using AbortLab.IO;

namespace AbortLab.Bench;

/// <summary>Server-side sockets of one local port by state, from the product's own reading of the socket table.</summary>
internal static class TcpStates
{
    public const string Established = "established";
    public const string CloseWait = "closeWait";

    public static int Count(int localPort, string state) =>
        SocketTable.ReadAllSockets().Count(s => s.LocalPort == localPort && s.State == state);
}
