using System.Diagnostics;
using System.Globalization;

namespace AbortLab.Playwright;

/// <summary>
/// Kills a browser the hard way: every process whose command line carries the rig's marker switch, and all their
/// descendants (renderers, the network service), found through /proc.
/// </summary>
internal static class BrowserProcesses
{
    public static int KillAll(string marker)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Killing the browser's processes is implemented for Linux only (it walks /proc).");
        }

        var parents = new Dictionary<int, int>();
        var marked = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Contains(marker, StringComparison.Ordinal))
                {
                    marked.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        var doomed = new HashSet<int>(marked);
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (pid, parent) in parents)
            {
                if (doomed.Contains(parent) && doomed.Add(pid))
                {
                    grew = true;
                }
            }
        }

        foreach (var pid in doomed)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }

        return doomed.Count;
    }
}
