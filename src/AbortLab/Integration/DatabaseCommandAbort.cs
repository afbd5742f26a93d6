using System.Data.Common;
using AbortLab.Data;

namespace AbortLab.Integration;

/// <summary>
/// What AbortLab does, beyond passing the token, for a database command that runs as tracked work of a scope, for an
/// integration that runs commands through its own pipeline (EF Core's interceptor) rather than through
/// <see cref="AbortScopeDbCommandExtensions"/>: on the abort it cancels a command run synchronously (there is no token
/// to pass) and, on PostgreSQL, sends the cancel again while the statement outlives the first one; at the end it
/// records an abort the database never confirmed (the provider closed the connection instead) as such, with a warning.
/// </summary>
public sealed class DatabaseCommandAbort
{
    private readonly AbortScope _scope;
    private readonly DbCommand _command;
    private readonly TrackedWork _work;
    private readonly bool _cancelCommand;
    private readonly PostgresCancelResend? _resend;
    private readonly CancellationTokenRegistration _onAbort;
    private int _ended;

    private DatabaseCommandAbort(AbortScope scope, DbCommand command, TrackedWork work, bool cancelCommand)
    {
        _scope = scope;
        _command = command;
        _work = work;
        _cancelCommand = cancelCommand;
        _resend = PostgresCancelResend.For(scope, command, work.Name);
        if (cancelCommand || _resend is not null)
        {
            _onAbort = scope.Token.UnsafeRegister(static state => ((DatabaseCommandAbort)state!).OnAbort(), this);
        }
    }

    /// <summary>
    /// Starts watching <paramref name="command"/>, which runs as <paramref name="work"/> of <paramref name="scope"/>,
    /// until <see cref="End"/>.
    /// </summary>
    /// <param name="scope">The scope the command runs for.</param>
    /// <param name="command">The command, with its connection.</param>
    /// <param name="work">The command's tracked work (from <see cref="AbortScope.Track"/>), ended by <see cref="End"/>.</param>
    /// <param name="cancelCommand">
    /// Whether the abort calls <see cref="DbCommand.Cancel"/>: for a command run synchronously, which no token reaches.
    /// </param>
    /// <returns>The watch; call <see cref="End"/> once the command has returned or its reader has closed.</returns>
    public static DatabaseCommandAbort Start(AbortScope scope, DbCommand command, TrackedWork work, bool cancelCommand)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(work);
        return new DatabaseCommandAbort(scope, command, work, cancelCommand);
    }

    /// <summary>
    /// Stops watching and ends the work: completed without <paramref name="exception"/>; canceled but unconfirmed by
    /// the database (with a warning naming the statement) when the abort closed the command's connection; else as
    /// <see cref="TrackedWork.Fail"/> does. Only the first call counts.
    /// </summary>
    /// <param name="exception">What the command failed with, or <see langword="null"/>.</param>
    public void End(Exception? exception)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        _onAbort.Dispose();
        _resend?.Dispose();
        if (exception is null)
        {
            _work.Dispose();
        }
        else if (DatabaseCancel.IsUnconfirmed(_scope, _command))
        {
            DatabaseCancel.RecordUnconfirmed(_scope, _work, _command);
        }
        else
        {
            _work.Fail(exception);
        }
    }

    private void OnAbort()
    {
        if (_cancelCommand)
        {
            _command.Cancel();
        }

        _resend?.Start();
    }
}
