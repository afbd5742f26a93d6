using System.Diagnostics;
using AbortLab.Processes;

namespace AbortLab;

/// <summary>Runs child processes as tracked work of an <see cref="AbortScope"/>.</summary>
public static class AbortScopeProcessExtensions
{
    /// <summary>
    /// Runs a child process as tracked work: if the scope is aborted, the process and all its descendants are killed.
    /// </summary>
    /// <param name="scope">The scope the work belongs to.</param>
    /// <param name="startInfo">What to run.</param>
    /// <param name="onOutputLine">Called for each line of standard output as it arrives, if given.</param>
    /// <returns>The exit code and the output.</returns>
    /// <exception cref="OperationCanceledException">The scope was aborted; the process tree has been killed.</exception>
    public static Task<ProcessResult> RunProcessAsync(this AbortScope scope, ProcessStartInfo startInfo, Action<string>? onOutputLine = null)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(startInfo);
        return scope.RunAsync($"process {Path.GetFileName(startInfo.FileName)}", token => AbortableProcess.RunAsync(startInfo, token, onOutputLine));
    }
}
