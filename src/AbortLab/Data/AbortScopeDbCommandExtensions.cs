using System.Data.Common;
using AbortLab.Data;

namespace AbortLab;

/// <summary>Runs ADO.NET commands as tracked work of an <see cref="AbortScope"/>.</summary>
public static class AbortScopeDbCommandExtensions
{
    /// <summary>
    /// Runs <paramref name="command"/> as tracked work that stops when the scope is aborted: the scope's token is
    /// passed to the provider, and <paramref name="interrupt"/> is called from the abort until the command returns
    /// (never after, so it cannot reach another request's statement on the same pooled connection), for providers
    /// whose asynchronous calls run synchronously and ignore a token once started. A provider error raised by that
    /// interruption comes out as an <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <param name="scope">The scope the work belongs to.</param>
    /// <param name="command">The command.</param>
    /// <param name="interrupt">
    /// Stops the running command; <see langword="null"/> calls <see cref="DbCommand.Cancel"/>. Microsoft.Data.Sqlite's
    /// <c>Cancel</c> does nothing: pass <c>c =&gt; SQLitePCL.raw.sqlite3_interrupt(((SqliteConnection)c.Connection!).Handle)</c>.
    /// </param>
    /// <returns>The number of rows affected.</returns>
    public static Task<int> ExecuteNonQueryAsync(this AbortScope scope, DbCommand command, Action<DbCommand>? interrupt = null)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(command);
        return RunCommandAsync(scope, command, interrupt, static (c, token) => c.ExecuteNonQueryAsync(token));
    }

    /// <summary>
    /// Runs <paramref name="command"/> for one value, as tracked work that stops when the scope is aborted.
    /// </summary>
    /// <param name="scope">The scope the work belongs to.</param>
    /// <param name="command">The command.</param>
    /// <param name="interrupt">Stops the running command; <see langword="null"/> calls <see cref="DbCommand.Cancel"/>.</param>
    /// <returns>The first column of the first row, or <see langword="null"/>.</returns>
    public static Task<object?> ExecuteScalarAsync(this AbortScope scope, DbCommand command, Action<DbCommand>? interrupt = null)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(command);
        return RunCommandAsync(scope, command, interrupt, static (c, token) => c.ExecuteScalarAsync(token));
    }

    /// <summary>
    /// Runs <paramref name="command"/> and hands its reader to <paramref name="read"/>, as tracked work that stops
    /// when the scope is aborted, while executing and while reading.
    /// </summary>
    /// <param name="scope">The scope the work belongs to.</param>
    /// <typeparam name="T">What <paramref name="read"/> makes of the rows.</typeparam>
    /// <param name="command">The command.</param>
    /// <param name="read">Reads the rows, with the scope's token.</param>
    /// <param name="interrupt">Stops the running command; <see langword="null"/> calls <see cref="DbCommand.Cancel"/>.</param>
    /// <returns>What <paramref name="read"/> returned.</returns>
    public static Task<T> ExecuteReaderAsync<T>(this AbortScope scope, DbCommand command, Func<DbDataReader, CancellationToken, Task<T>> read, Action<DbCommand>? interrupt = null)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(read);
        return RunCommandAsync(scope, command, interrupt, async (c, token) =>
        {
            await using var reader = await c.ExecuteReaderAsync(token);
            return await read(reader, token);
        });
    }

    private static async Task<T> RunCommandAsync<T>(AbortScope scope, DbCommand command, Action<DbCommand>? interrupt, Func<DbCommand, CancellationToken, Task<T>> execute)
    {
        interrupt ??= static c => c.Cancel();
        var text = command.CommandText ?? string.Empty;
        using var work = scope.Track("db " + (text.Length > 40 ? text[..40] + "…" : text).ReplaceLineEndings(" "));
        var token = scope.Token;
        try
        {
            using var interrupter = new CommandInterrupter(command, interrupt, scope.Timeline.TimeProvider);
            await using var cancel = token.UnsafeRegister(static state => ((CommandInterrupter)state!).Start(), interrupter);
            using var resend = PostgresCancelResend.For(scope, command, work.Name);
            await using var resendOnAbort = resend is null ? default : token.UnsafeRegister(static state => ((PostgresCancelResend)state!).Start(), resend);
            var result = await execute(command, token);
            work.Complete();
            return result;
        }
        catch (Exception exception) when (token.IsCancellationRequested && exception is DbException or OperationCanceledException)
        {
            if (DatabaseCancel.IsUnconfirmed(scope, command))
            {
                DatabaseCancel.RecordUnconfirmed(scope, work, command);
            }
            else
            {
                work.End(WorkOutcome.Canceled, nameof(OperationCanceledException));
            }

            if (exception is OperationCanceledException)
            {
                throw;
            }

            throw new OperationCanceledException("The command was cancelled because the request was aborted.", exception, token);
        }
        catch (Exception exception)
        {
            work.End(exception);
            throw;
        }
    }
}
