using System.Runtime.InteropServices;

namespace AbortLab.Testing;

/// <summary>
/// Waits for a process to exit through a Linux pidfd (an event, not a poll of /proc), so a test can wait for a
/// process it did not start, such as a grandchild.
/// </summary>
internal sealed partial class ProcessExit : IDisposable
{
    private const long SysPidfdOpen = 434;
    private const short PollIn = 1;
    private const int EIntr = 4;
    private readonly int _fd;

    private ProcessExit(int fd) => _fd = fd;

    /// <summary>Opens a pidfd; null if the process is gone already.</summary>
    public static ProcessExit? Watch(int pid)
    {
        var fd = (int)syscall(SysPidfdOpen, pid, 0);
        return fd < 0 ? null : new ProcessExit(fd);
    }

    public async Task<bool> WaitAsync(TimeSpan timeout)
    {
        return await Task.Run(() =>
        {
            var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (true)
            {
                var fds = new PollFd { Fd = _fd, Events = PollIn };
                var result = poll(ref fds, 1, (int)Math.Max(0, deadline - Environment.TickCount64));

                // A signal (SIGCHLD, when a child of this process dies) interrupts the wait: wait again.
                if (result < 0 && Marshal.GetLastPInvokeError() == EIntr)
                {
                    continue;
                }

                return result > 0;
            }
        });
    }

    public void Dispose() => close(_fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, int pid, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(ref PollFd fds, ulong count, int timeout);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
