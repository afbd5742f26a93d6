using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AbortLab.EntityFrameworkCore;

/// <summary>
/// Runs each command of a context inside a request's <see cref="AbortScope"/> itself, with the scope's token, and
/// hands EF Core the result (EF Core lets an interceptor supply it): EF Core passes the provider only the caller's
/// token, and an interceptor cannot replace it. As EF Core does, readers run with the default behaviour. Outside a scope it does nothing. Stateless: one instance serves every
/// context, pooled or not.
/// </summary>
internal sealed class AbortScopeCommandInterceptor : DbCommandInterceptor
{
    public static readonly AbortScopeCommandInterceptor Instance = new();

    // Runs whose reader EF Core got unwrapped, ended when EF Core disposes that reader.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DbCommand, RunningCommand> UnwrappedReaders = [];

    private AbortScopeCommandInterceptor()
    {
    }

    // Before EF Core announces the command (its diagnostic "CommandExecuting", which AbortLab's sensors and tracing
    // see): a command of a request already aborted does not start at all.
    public override DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result)
    {
        AbortScope.Current?.Token.ThrowIfCancellationRequested();
        return result;
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result) =>
        Run(command, eventData, result, static (command, eventData, running) => Hand(command, eventData, command.ExecuteReader(), running));

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default) =>
        RunAsync(command, eventData, result, cancellationToken, static async (command, eventData, running) => Hand(command, eventData, await command.ExecuteReaderAsync(running.Token), running));

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result) =>
        Run(command, eventData, result, static (command, _, running) => Ended(running, command.ExecuteNonQuery()));

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
        RunAsync(command, eventData, result, cancellationToken, static async (command, _, running) => Ended(running, await command.ExecuteNonQueryAsync(running.Token)));

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result) =>
        Run(command, eventData, result, static (command, _, running) => Ended(running, command.ExecuteScalar()!));

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default) =>
        RunAsync(command, eventData, result, cancellationToken, static async (command, _, running) => Ended(running, (await command.ExecuteScalarAsync(running.Token))!));

    public override InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        if (UnwrappedReaders.TryGetValue(command, out var running))
        {
            UnwrappedReaders.Remove(command);
            running.End();
        }

        return result;
    }

    // The reader EF Core gets: wrapped, so that reads stop with the request; except the reader of a SaveChanges
    // batch, which providers may cast to their own type (Npgsql does) and which only brings back generated values.
    private static DbDataReader Hand(DbCommand command, CommandEventData eventData, DbDataReader reader, RunningCommand running)
    {
        if (eventData.CommandSource != CommandSource.SaveChanges || running.StopsFromInside)
        {
            return new AbortScopeDataReader(reader, running);
        }

        UnwrappedReaders.AddOrUpdate(command, running);
        return reader;
    }

    // Outside a scope, or when another interceptor already supplied the result, EF Core runs the command itself.
    private static InterceptionResult<T> Run<T>(DbCommand command, CommandEventData eventData, InterceptionResult<T> result, Func<DbCommand, CommandEventData, RunningCommand, T> execute)
    {
        if (result.HasResult || RunningCommand.Start(command, eventData, default, synchronous: true) is not { } running)
        {
            return result;
        }

        try
        {
            return InterceptionResult<T>.SuppressWithResult(execute(command, eventData, running));
        }
        catch (Exception exception)
        {
            throw Fail(running, exception);
        }
    }

    private static async ValueTask<InterceptionResult<T>> RunAsync<T>(DbCommand command, CommandEventData eventData, InterceptionResult<T> result, CancellationToken cancellationToken, Func<DbCommand, CommandEventData, RunningCommand, Task<T>> execute)
    {
        if (result.HasResult || RunningCommand.Start(command, eventData, cancellationToken, synchronous: false) is not { } running)
        {
            return result;
        }

        try
        {
            return InterceptionResult<T>.SuppressWithResult(await execute(command, eventData, running));
        }
        catch (Exception exception)
        {
            throw Fail(running, exception);
        }
    }

    // A command without a reader is done when it returns.
    private static T Ended<T>(RunningCommand running, T value)
    {
        running.End();
        return value;
    }

    private static Exception Fail(RunningCommand running, Exception exception)
    {
        var translated = running.Translate(exception);
        running.End(translated);
        return translated;
    }
}
