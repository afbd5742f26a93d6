using System.Diagnostics;

namespace AbortLab;

public sealed partial class AbortScope
{
    /// <summary>
    /// Runs a child process as tracked work: if the scope is aborted, the process and all its descendants are killed.
    /// </summary>
    /// <param name="startInfo">What to run.</param>
    /// <param name="onOutputLine">Called for each line of standard output as it arrives, if given.</param>
    /// <returns>The exit code and the output.</returns>
    /// <exception cref="OperationCanceledException">The scope was aborted; the process tree has been killed.</exception>
    public Task<ProcessResult> RunProcessAsync(ProcessStartInfo startInfo, Action<string>? onOutputLine = null)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        return RunAsync($"process {Path.GetFileName(startInfo.FileName)}", token => AbortableProcess.RunAsync(startInfo, token, onOutputLine));
    }
}
