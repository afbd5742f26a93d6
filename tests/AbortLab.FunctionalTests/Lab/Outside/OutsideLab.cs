using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Lab.Outside;

/// <summary>
/// The lab as an operator runs it: its own process (every port 0, a data directory of its own), its addresses read
/// from what it prints, its console log kept line by line, stopped with SIGTERM. What the tests learn of it comes from
/// its sockets, its HTTP answers and its log: nothing from inside.
/// </summary>
internal sealed partial class OutsideLab : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITestOutputHelper _output;
    private readonly Process _process;
    private readonly string _dataDirectory;

    private OutsideLab(ITestOutputHelper output, string dataDirectory, string[] settings)
    {
        _output = output;
        _dataDirectory = dataDirectory;
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])[
            Path.Combine(AppContext.BaseDirectory, "AbortLab.Lab.dll"),
            "--Lab:Edge:HttpPort=0", "--Lab:Edge:HttpsPort=0", "--Lab:App:Port=0", "--Lab:Backend:Port=0",
            $"--Lab:DataDirectory={dataDirectory}",
            .. settings])
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        _process = new Process { StartInfo = startInfo };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
    }

    public Uri Edge { get; private set; } = null!;

    public Uri App { get; private set; } = null!;

    public Uri Backend { get; private set; } = null!;

    public int ProcessId => _process.Id;

    /// <summary>The console log so far, one entry per line.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    public static async Task<OutsideLab> StartAsync(ITestOutputHelper output, params string[] settings)
    {
        var lab = new OutsideLab(output, Directory.CreateTempSubdirectory("abortlab-outside-").FullName, settings);
        lab._process.Start();
        lab._process.BeginOutputReadLine();
        lab._process.BeginErrorReadLine();
        await lab._started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return lab;
    }

    /// <summary>Log entries at Error or Critical: the console logger starts them with <c>fail:</c> or <c>crit:</c>.</summary>
    public IReadOnlyList<string> ErrorEntries() => Entries("fail: ", "crit: ");

    /// <summary>Zombie warnings (<c>ZombieDetected</c>) with their message line.</summary>
    public IReadOnlyList<string> ZombieEntries() => Entries("warn: AbortLab.Zombies.ZombieWatchdog[9]");

    /// <summary>The message of each hop's <c>ShutdownReported</c> line, by hop.</summary>
    public IReadOnlyDictionary<string, string> ShutdownReports() => Lines
        .Select(line => ShutdownLine().Match(line))
        .Where(m => m.Success)
        .GroupBy(m => m.Groups[1].Value)
        .ToDictionary(g => g.Key, g => g.Last().Value);

    /// <summary>Sends SIGTERM, as a service manager would, and waits for the process to exit.</summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        if (kill(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill(SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        using var deadline = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(deadline.Token);
        return stopwatch.Elapsed;
    }

    public int ExitCode => _process.ExitCode;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public Microsoft.Data.Sqlite.SqliteConnection OpenDatabase() => new($"Data Source={Path.Combine(_dataDirectory, "abortlab-lab.db")};Mode=ReadOnly;Pooling=False");

    private IReadOnlyList<string> Entries(params string[] prefixes)
    {
        var lines = Lines;
        var entries = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (prefixes.Any(p => lines[i].StartsWith(p, StringComparison.Ordinal)))
            {
                entries.Add(i + 1 < lines.Count ? $"{lines[i]} {lines[i + 1].Trim()}" : lines[i]);
            }
        }

        return entries;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _lines.Enqueue(line);
        _output.WriteLine(line);
        if (Address().Match(line) is { Success: true } match)
        {
            var uri = new Uri(match.Groups[2].Value);
            switch (match.Groups[1].Value)
            {
                case "lab page":
                    Edge = uri;
                    break;
                case "app":
                    App = uri;
                    break;
                case "backend":
                    Backend = uri;
                    _started.TrySetResult();
                    break;
            }
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [GeneratedRegex(@"^\s+(lab page|app|backend)\s+(http://\S+)")]
    private static partial Regex Address();

    [GeneratedRegex(@"Shutdown of (\w+): .*")]
    private static partial Regex ShutdownLine();
}
