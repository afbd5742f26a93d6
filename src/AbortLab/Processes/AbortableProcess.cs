using System.Diagnostics;
using System.Text;

namespace AbortLab.Processes;

/// <summary>
/// Runs a child process whose whole tree is killed when the token fires. <c>Process.WaitForExitAsync(token)</c> only
/// stops <i>waiting</i>: the child, and every process it started, keeps running.
/// </summary>
internal static class AbortableProcess
{
    /// <summary>The default limit of captured characters, per stream.</summary>
    public const int DefaultOutputLimit = 1024 * 1024;

    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Starts the process, captures its output, and waits for it to exit. If <paramref name="cancellationToken"/>
    /// fires first, the process and all its descendants are killed, and the call throws once the process is gone.
    /// </summary>
    /// <param name="startInfo">What to run; its output is redirected and <c>UseShellExecute</c> is turned off.</param>
    /// <param name="cancellationToken">Kills the process tree when it fires.</param>
    /// <param name="onOutputLine">Called for each line of standard output as it arrives, if given.</param>
    /// <param name="outputLimit">How many characters of each stream are kept.</param>
    /// <returns>The exit code and the output.</returns>
    /// <exception cref="OperationCanceledException">The token fired; the process tree has been killed.</exception>
    public static async Task<ProcessResult> RunAsync(
        ProcessStartInfo startInfo,
        CancellationToken cancellationToken,
        Action<string>? onOutputLine = null,
        int outputLimit = DefaultOutputLimit)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        ArgumentOutOfRangeException.ThrowIfNegative(outputLimit);
        cancellationToken.ThrowIfCancellationRequested();

        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;

        using var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult();
        var output = new BoundedText(outputLimit);
        var error = new BoundedText(outputLimit);
        var outputClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errorClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                outputClosed.TrySetResult();
                return;
            }

            output.AppendLine(e.Data);
            onOutputLine?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                errorClosed.TrySetResult();
                return;
            }

            error.AppendLine(e.Data);
        };

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        await using (cancellationToken.UnsafeRegister(static state => KillTree((Process)state!), process))
        {
            await exited.Task;
        }

        // Killed: the output is of no use, and a grandchild may hold the pipes for a while (seen: 1 s, the drain's
        // whole timeout, added to the abort's stop time).
        cancellationToken.ThrowIfCancellationRequested();

        // A finished tree may leave a grandchild holding the pipes for a moment; never wait on it long past the exit.
        try
        {
            await Task.WhenAll(outputClosed.Task, errorClosed.Task).WaitAsync(OutputDrainTimeout);
        }
        catch (TimeoutException)
        {
        }

        cancellationToken.ThrowIfCancellationRequested();

        return new ProcessResult
        {
            ProcessId = process.Id,
            ExitCode = process.ExitCode,
            StandardOutput = output.ToString(),
            StandardError = error.ToString(),
            OutputTruncated = output.Truncated || error.Truncated,
        };
    }

    internal static void KillTree(Process process) => ProcessTree.Kill(process);

    private sealed class BoundedText(int limit)
    {
        private readonly StringBuilder _text = new();

        public bool Truncated { get; private set; }

        public void AppendLine(string line)
        {
            lock (_text)
            {
                var room = limit - _text.Length;
                if (line.Length + 1 > room)
                {
                    Truncated = true;
                    _text.Append(line.AsSpan(0, Math.Max(0, Math.Min(line.Length, room))));
                    return;
                }

                _text.Append(line).Append('\n');
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }
}
