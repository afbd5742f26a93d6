using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace AbortLab.EntityFrameworkCore;

/// <summary>
/// Stops a running SQLite statement from inside: a progress handler, called every few hundred virtual-machine
/// instructions while a statement of this connection runs, answers "stop" once the token has fired, and SQLite
/// ends the statement with SQLITE_INTERRUPT. Chosen over <c>sqlite3_interrupt</c>, which interrupts whatever the
/// connection runs at that moment and until its running-statement count drops to zero (so it can hit a later
/// statement, another request's on a pooled connection): the handler is installed when the command starts and
/// removed when it ends, so it can only ever stop this command's statements.
/// </summary>
internal sealed class SqliteInterruption : IDisposable
{
    // About a few microseconds of work between checks: cheap, and an abort is seen well within a millisecond.
    private const int InstructionsPerCheck = 1000;

    private static readonly delegate_progress StopWhenCanceled = static state => ((SqliteInterruption)state).Token.IsCancellationRequested ? 1 : 0;

    private readonly sqlite3 _handle;

    private SqliteInterruption(sqlite3 handle, CancellationToken token)
    {
        _handle = handle;
        Token = token;
    }

    public CancellationToken Token { get; }

    /// <summary>Installs the handler on an open connection; null when the connection has no handle (closed).</summary>
    public static SqliteInterruption? Install(SqliteConnection connection, CancellationToken token)
    {
        if (connection.Handle is not { } handle || handle.IsInvalid)
        {
            return null;
        }

        var interruption = new SqliteInterruption(handle, token);
        raw.sqlite3_progress_handler(handle, InstructionsPerCheck, StopWhenCanceled, interruption);
        return interruption;
    }

    public void Dispose()
    {
        if (!_handle.IsInvalid)
        {
            raw.sqlite3_progress_handler(_handle, 0, null, null);
        }
    }
}
