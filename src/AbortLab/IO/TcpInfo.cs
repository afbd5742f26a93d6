using System.Runtime.InteropServices;

namespace AbortLab.IO;

/// <summary>Linux's <c>TCP_INFO</c> socket option, and reading it for one of this process's own sockets by descriptor.</summary>
internal static class TcpInfo
{
    /// <summary>The option's level: <c>IPPROTO_TCP</c>.</summary>
    public const int Level = 6;

    /// <summary>The option: <c>TCP_INFO</c>.</summary>
    public const int Option = 11;

    // struct tcp_info: eight one-byte fields, then 32-bit fields; tcpi_last_data_recv is the 12th of those.
    private const int LastDataReceivedOffset = 52;
    private const int Size = 104;

    /// <summary>Milliseconds since data last arrived on the socket, or null when it cannot be read (not Linux, not TCP, closed).</summary>
    public static long? MillisecondsSinceDataReceived(int descriptor)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var buffer = new byte[Size];
        var length = (uint)Size;
        if (NativeMethods.GetSocketOption(descriptor, Level, Option, buffer, ref length) != 0 || length < LastDataReceivedOffset + 4)
        {
            return null;
        }

        return MemoryMarshal.Read<uint>(buffer.AsSpan(LastDataReceivedOffset, 4));
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int GetSocketOption(int socket, int level, int option, [Out] byte[] value, ref uint length);
    }
}
