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

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        if (result.HasResult || RunningCommand.Start(command, eventData, default, synchronous: true) is not { } running)
        {
            return result;
        }

        try
        {
            return InterceptionResult<DbDataReader>.SuppressWithResult(Hand(command, eventData, command.ExecuteReader(), running));
        }
        catch (Exception exception)
        {
            throw Fail(running, exception);
        }
    }

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (result.HasResult || RunningCommand.Start(command, eventData, cancellationToken, synchronous: false) is not { } running)
        {
            return result;
        }

        try
        {
            var reader = await command.ExecuteReaderAsync(running.Token);
            return InterceptionResult<DbDataReader>.SuppressWithResult(Hand(command, eventData, reader, running));
        }
        catch (Exception exception)
        {
            throw Fail(running, exception);
        }
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        if (result.HasResult || RunningCommand.Start(command, eventData, default, synchronous: true) is not { } running)
        {
            return result;
        }

        try
        {
            var rows = command.ExecuteNonQuery();
            running.End();
            return InterceptionResult<int>.SuppressWithResult(rows);
        }
        catch (Exception exception)
        {
            throw Fail(running, exception);
        }
    }

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (result.HasResult || RunningCommand.Start(command, eventData, cancellationToken, synchronous: false) is not { } running)
        {
            return result;
        }

        try
        {
            var rows = await command.ExecuteNonQueryAsync(running.Token);
            running.End();
            return InterceptionResult<int>.SuppressWithResult(rows);
        }
        catch (Exception exception)
        {
            throw Fail(running, exception);
        }
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        if (result.HasResult || RunningCommand.Start(command, eventData, default, synchronous: true) is not { } running)
        {
            return result;
        }

        try
        {
            var value = command.ExecuteScalar();
            running.End();
            return InterceptionResult<object>.SuppressWithResult(value!);
        }
        catch (Exception exception)
        {
            throw Fail(running, exception);
        }
    }

    public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        if (result.HasResult || RunningCommand.Start(command, eventData, cancellationToken, synchronous: false) is not { } running)
        {
            return result;
        }

        try
        {
            var value = await command.ExecuteScalarAsync(running.Token);
            running.End();
            return InterceptionResult<object>.SuppressWithResult(value!);
        }
        catch (Exception exception)
        {
            throw Fail(running, exception);
        }
    }

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

    private static Exception Fail(RunningCommand running, Exception exception)
    {
        var translated = running.Translate(exception);
        running.End(translated);
        return translated;
    }
}
