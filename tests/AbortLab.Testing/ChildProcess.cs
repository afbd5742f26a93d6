using System.Diagnostics;
using System.Text.RegularExpressions;
using AbortLab.Processes;
using Xunit.Abstractions;

namespace AbortLab.Testing;

/// <summary>
/// A child process for a test: its output goes to the test's output, a line matching a pattern is caught, and the
/// process is killed with its tree when the test is done with it.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private ChildProcess(Process process, Task<Match> matched)
    {
        Process = process;
        Matched = matched;
    }

    public Process Process { get; }

    /// <summary>The first output line that matched the pattern given to <see cref="Start"/>.</summary>
    public Task<Match> Matched { get; }

    public static ChildProcess Start(string file, IEnumerable<string> arguments, string workingDirectory, ITestOutputHelper output, Regex? watchFor = null)
    {
        var startInfo = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = startInfo };
        var matched = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.WriteLine(e.Data);
            if (watchFor?.Match(e.Data) is { Success: true } match)
            {
                matched.TrySetResult(match);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.WriteLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process, matched.Task);
    }

    public async Task RunToSuccessAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        await Process.WaitForExitAsync(cancellation.Token);
        Assert.True(Process.ExitCode == 0, $"'{Process.StartInfo.FileName} {string.Join(' ', Process.StartInfo.ArgumentList)}' exited with {Process.ExitCode}; see the test output.");
    }

    public void Dispose()
    {
        AbortableProcess.KillTree(Process);
        Process.WaitForExit();
        Process.Dispose();
    }
}
