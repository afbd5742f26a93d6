using System.Data.Common;
using AbortLab.Integration;
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
    private readonly CancellationToken _callerToken;
    private readonly CancellationTokenSource? _linked;
    private readonly SqliteInterruption? _sqlite;
    private readonly DatabaseCommandAbort _abort;
    private int _ended;

    private RunningCommand(AbortScope scope, DbCommand command, CommandEventData eventData, CancellationToken callerToken, bool synchronous)
    {
        Scope = scope;
        _callerToken = callerToken;
        _linked = callerToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(callerToken, scope.Token) : null;
        Token = _linked?.Token ?? scope.Token;
        var work = scope.Track(CommandName.Of(command, eventData.CommandSource));
        var cancelCommand = false;
        if (command.Connection is SqliteConnection sqlite)
        {
            // Microsoft.Data.Sqlite checks a token only before a statement starts: stop it from inside.
            _sqlite = SqliteInterruption.Install(sqlite, Token);
        }
        else
        {
            // Synchronously there is no token to pass: ask the provider to cancel, as a token would (PostgreSQL: a
            // cancel request). On PostgreSQL the cancel is sent again if the statement outlives the first one.
            cancelCommand = synchronous;
        }

        _abort = DatabaseCommandAbort.Start(scope, command, work, cancelCommand);
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

        _sqlite?.Dispose();
        _linked?.Dispose();
        _abort.End(exception);
    }
}
