using System.Data.Common;
using AbortLab.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AbortLab.EntityFrameworkCore;

/// <summary>
/// One command run inside an <see cref="AbortScope"/>: its tracked work, the token it runs with (the caller's and the
/// scope's), and what stops it when the provider ignores a token (SQLite) or is called synchronously. Ended once,
/// when the command returns or, for a reader, when the reader is closed.
/// </summary>
internal sealed class RunningCommand
{
    private readonly TrackedWork _work;
    private readonly DbCommand _command;
    private readonly CancellationToken _callerToken;
    private readonly CancellationTokenSource? _linked;
    private readonly SqliteInterruption? _sqlite;
    private readonly PostgresCancelResend? _resend;
    private readonly bool _synchronous;
    private readonly CancellationTokenRegistration _cancelOnAbort;
    private int _ended;

    private RunningCommand(AbortScope scope, DbCommand command, CommandEventData eventData, CancellationToken callerToken, bool synchronous)
    {
        Scope = scope;
        _command = command;
        _callerToken = callerToken;
        _linked = callerToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(callerToken, scope.Token) : null;
        Token = _linked?.Token ?? scope.Token;
        _work = scope.Track(CommandName.Of(command, eventData.CommandSource));
        if (command.Connection is SqliteConnection sqlite)
        {
            // Microsoft.Data.Sqlite checks a token only before a statement starts: stop it from inside.
            _sqlite = SqliteInterruption.Install(sqlite, Token);
        }
        else
        {
            // Synchronously there is no token to pass: ask the provider to cancel, as a token would (PostgreSQL: a
            // cancel request). On PostgreSQL the cancel is sent again if the statement outlives the first one.
            _synchronous = synchronous;
            _resend = PostgresCancelResend.For(scope, command, _work.Name);
            if (synchronous || _resend is not null)
            {
                _cancelOnAbort = scope.Token.UnsafeRegister(static state => ((RunningCommand)state!).OnAbort(), this);
            }
        }
    }

    public AbortScope Scope { get; }

    /// <summary>Whether the command is stopped from inside the database engine (SQLite's progress handler).</summary>
    public bool StopsFromInside => _sqlite is not null;

    /// <summary>The caller's token linked with the scope's: what the provider gets.</summary>
    public CancellationToken Token { get; }

    /// <summary>A run for <paramref name="command"/>, or null outside a request's scope (then EF runs it itself).</summary>
    public static RunningCommand? Start(DbCommand command, CommandEventData eventData, CancellationToken callerToken, bool synchronous) =>
        AbortScope.Current is { } scope ? new RunningCommand(scope, command, eventData, callerToken, synchronous) : null;

    /// <summary>The token for a later call (a read): this run's, unless the caller passed another one of its own.</summary>
    public CancellationToken TokenFor(CancellationToken callerToken, out CancellationTokenSource? linked)
    {
        linked = null;
        if (!callerToken.CanBeCanceled || callerToken == _callerToken || callerToken == Token)
        {
            return Token;
        }

        linked = CancellationTokenSource.CreateLinkedTokenSource(callerToken, Token);
        return linked.Token;
    }

    /// <summary>
    /// What the caller should see for a failure: the provider's error for an abort (SQLite's "interrupted",
    /// PostgreSQL's "canceling statement") becomes an <see cref="OperationCanceledException"/>, which EF Core logs as
    /// canceled, at Debug.
    /// </summary>
    public Exception Translate(Exception exception) =>
        exception is not OperationCanceledException && Scope.IsAborted
            ? new OperationCanceledException("The command was stopped because the request was aborted.", exception, Scope.Token)
            : exception;

    public void End(Exception? exception = null)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        _cancelOnAbort.Dispose();
        _resend?.Dispose();
        _sqlite?.Dispose();
        _linked?.Dispose();
        if (exception is null)
        {
            _work.Dispose();
        }
        else if (DatabaseCancel.IsUnconfirmed(Scope, _command))
        {
            DatabaseCancel.RecordUnconfirmed(Scope, _work, _command);
        }
        else
        {
            _work.Fail(exception);
        }
    }

    private void OnAbort()
    {
        if (_synchronous)
        {
            _command.Cancel();
        }

        _resend?.Start();
    }
}
