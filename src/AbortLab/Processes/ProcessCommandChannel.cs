using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace AbortLab.Processes;

/// <summary>
/// A serialised command channel to one long-lived child process that reads one command per line on its standard
/// input and answers with lines on its standard output, ended by a terminator line. One permanent reader owns
/// standard output and commands run one at a time in arrival order, so answers never merge. A caller that is aborted
/// leaves at once: a command still queued is never sent, and the rest of an answer already streaming is read and
/// dropped, so the next command's answer starts clean.
/// </summary>
public sealed class ProcessCommandChannel : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _terminator;
    private readonly Channel<PendingCommand> _queue = Channel.CreateUnbounded<PendingCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _disposed = new();
    private readonly Task _loop;

    private ProcessCommandChannel(Process process, string terminator)
    {
        _process = process;
        _terminator = terminator;
        _loop = NonCapturingTimer.Run(RunAsync);
    }

    /// <summary>Gets the id of the child process.</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts the process.
    /// </summary>
    /// <param name="startInfo">What to run; its standard input and output are redirected.</param>
    /// <param name="terminator">The line that ends every answer, such as <c>"&lt;&lt;END&gt;&gt;"</c>.</param>
    /// <returns>The channel.</returns>
    public static ProcessCommandChannel Start(ProcessStartInfo startInfo, string terminator)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        ArgumentException.ThrowIfNullOrEmpty(terminator);
        startInfo.RedirectStandardInput = true;
        startInfo.RedirectStandardOutput = true;
        startInfo.UseShellExecute = false;
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"'{startInfo.FileName}' did not start.");
        return new ProcessCommandChannel(process, terminator);
    }

    /// <summary>
    /// Sends <paramref name="command"/> when its turn comes and returns its answer's lines as they arrive.
    /// </summary>
    /// <param name="command">One line of text: no line breaks.</param>
    /// <param name="cancellationToken">Leaves the queue, or stops reading the answer, when it fires.</param>
    /// <returns>The lines of the answer, without the terminator.</returns>
    /// <exception cref="ArgumentException"><paramref name="command"/> contains a line break.</exception>
    /// <exception cref="InvalidOperationException">The process has exited.</exception>
    public async IAsyncEnumerable<string> StreamAsync(string command, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.AsSpan().ContainsAny('\r', '\n'))
        {
            throw new ArgumentException("A command is one line: it must not contain line breaks.", nameof(command));
        }

        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        var pending = new PendingCommand(command, cancellationToken);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The process has exited.");
        }

        await using var leave = cancellationToken.UnsafeRegister(static state => ((PendingCommand)state!).Abandon(), pending);
        await foreach (var line in pending.Lines.Reader.ReadAllAsync(cancellationToken))
        {
            // Lines already buffered must not reach a caller that has left.
            cancellationToken.ThrowIfCancellationRequested();
            yield return line;
        }
    }

    /// <summary>
    /// Sends <paramref name="command"/> when its turn comes and returns its whole answer.
    /// </summary>
    /// <param name="command">One line of text: no line breaks.</param>
    /// <param name="cancellationToken">Leaves the queue, or stops waiting for the answer, when it fires.</param>
    /// <returns>The answer's lines, each ended by a line feed.</returns>
    public async Task<string> SendAsync(string command, CancellationToken cancellationToken = default)
    {
        var answer = new System.Text.StringBuilder();
        await foreach (var line in StreamAsync(command, cancellationToken))
        {
            answer.Append(line).Append('\n');
        }

        return answer.ToString();
    }

    /// <summary>
    /// Closes the process's input, kills its tree if it does not exit at once, and fails what is still queued.
    /// </summary>
    /// <returns>A task that completes when the process is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync();
        _queue.Writer.TryComplete();
        await _loop;
        AbortableProcess.KillTree(_process);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _disposed.Dispose();
    }

    private async Task RunAsync()
    {
        var input = _process.StandardInput;
        var output = _process.StandardOutput;
        Exception? failure = null;
        PendingCommand? current = null;
        try
        {
            await foreach (var pending in _queue.Reader.ReadAllAsync(_disposed.Token))
            {
                current = pending;
                if (pending.IsAbandoned)
                {
                    // Left the queue before its turn: never sent.
                    pending.Lines.Writer.TryComplete(new OperationCanceledException(pending.Token));
                    continue;
                }

                await input.WriteLineAsync(pending.Text.AsMemory(), _disposed.Token);
                await input.FlushAsync(_disposed.Token);
                while (true)
                {
                    var line = await output.ReadLineAsync(_disposed.Token)
                        ?? throw new InvalidOperationException("The process closed its output before the answer ended.");
                    if (line == _terminator)
                    {
                        pending.Lines.Writer.TryComplete();
                        break;
                    }

                    // Read to the end even for a caller that left, so the next answer starts clean.
                    if (!pending.IsAbandoned)
                    {
                        pending.Lines.Writer.TryWrite(line);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            failure = new ObjectDisposedException(nameof(ProcessCommandChannel));
        }
        catch (Exception exception) when (exception is InvalidOperationException or IOException)
        {
            failure = exception;
        }

        _queue.Writer.TryComplete();
        var error = failure is InvalidOperationException ? failure : new InvalidOperationException("The process has exited.", failure);
        current?.Lines.Writer.TryComplete(error);
        while (_queue.Reader.TryRead(out var left))
        {
            left.Lines.Writer.TryComplete(error);
        }
    }

    private sealed class PendingCommand(string text, CancellationToken token)
    {
        private int _abandoned;

        public string Text { get; } = text;

        public CancellationToken Token { get; } = token;

        public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

        public bool IsAbandoned => Volatile.Read(ref _abandoned) != 0;

        public void Abandon() => Volatile.Write(ref _abandoned, 1);
    }
}
