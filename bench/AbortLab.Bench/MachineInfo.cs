using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AbortLab.Bench;

internal sealed record MachineInfo(DateTimeOffset StartedAt, int Cores, string Cpu, double MemoryGiB, string Os, string Runtime, string Configuration, string Commit, string Peers)
{
    public static MachineInfo Read(string peers)
    {
        var cpu = TryRead("/proc/cpuinfo")?.Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memoryKiB = TryRead("/proc/meminfo")?.Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        return new MachineInfo(
            TimeProvider.System.GetUtcNow(),
            Environment.ProcessorCount,
            cpu,
            memoryKiB is null ? 0 : long.Parse(memoryKiB, System.Globalization.CultureInfo.InvariantCulture) / 1024.0 / 1024.0,
            RuntimeInformation.OSDescription,
            RuntimeInformation.FrameworkDescription,
            configuration,
            Run("git", "rev-parse --short HEAD") ?? "unknown",
            peers);
    }

    public static string? Run(string program, string arguments, bool anyExitCode = false)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 || anyExitCode ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string? TryRead(string path) => File.Exists(path) ? File.ReadAllText(path) : null;
}
