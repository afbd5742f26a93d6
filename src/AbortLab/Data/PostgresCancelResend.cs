using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AbortLab.Data;

/// <summary>
/// Sends PostgreSQL's cancel again for an aborted command that still runs. Npgsql sends one cancel request per
/// command; PostgreSQL drops a cancel request that finds the backend between statements, so a cancel that overtakes
/// its statement on the way to the server (the abort came as the command started) leaves the statement running, and
/// Npgsql then closes the connection after its cancellation timeout while the server runs the statement to its end.
/// This asks the server itself, on a connection of its own, to cancel the backend's statement, once the command still
/// runs <see cref="FirstDelay"/> after the abort, and again while it runs, each wait twice the one before.
/// </summary>
/// <remarks>
/// Npgsql is reached through its public API by reflection (<c>NpgsqlConnection.ProcessID</c> and
/// <c>CloneWith(string)</c>, which keeps the password), so that AbortLab does not depend on it. The statement is
/// cancelled only if it has run since before the check that the command still runs: a statement the pooled
/// connection started after this command ended is left alone.
/// </remarks>
internal sealed class PostgresCancelResend : IDisposable
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);

    public const int MaxAttempts = 4;

    private const string CancelSql = "SELECT count(*) FROM (SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = @pid AND state = 'active' AND clock_timestamp() - query_start > make_interval(secs => @age)) AS cancelled";

    private static NpgsqlMembers? _members;

    private readonly object _gate = new();
    private readonly ILoggerFactory? _loggers;
    private readonly DbCommand _command;
    private readonly string _work;
    private readonly TimeProvider _timeProvider;
    private readonly NpgsqlMembers _npgsql;
    private ITimer? _timer;
    private int _attempts;
    private bool _stopped;

    private PostgresCancelResend(AbortScope scope, DbCommand command, string work, NpgsqlMembers npgsql)
    {
        // Taken now: the resend's own statement returns after the command it cancelled, when the request has ended.
        _loggers = scope.Request?.RequestServices.GetService<ILoggerFactory>();
        _command = command;
        _work = work;
        _npgsql = npgsql;
        _timeProvider = scope.Timeline.TimeProvider;
    }

    /// <summary>A resend for <paramref name="command"/> if its connection is Npgsql's, else null.</summary>
    public static PostgresCancelResend? For(AbortScope scope, DbCommand command, string work) =>
        command.Connection is { } connection && FindMembers(connection.GetType()) is { } npgsql
            ? new PostgresCancelResend(scope, command, work, npgsql)
            : null;

    /// <summary>Called on the abort: the first resend is due after <see cref="FirstDelay"/> unless the command ends.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (!_stopped && _timer is null)
            {
                _timer = NonCapturingTimer.Create(_timeProvider, static state => _ = ((PostgresCancelResend)state!).ResendAsync(), this, FirstDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>The command ended: nothing more is sent.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    // Runs on a timer, awaited by no one: whatever goes wrong is logged, never left unobserved.
    private async Task ResendAsync()
    {
        try
        {
            await ResendCoreAsync();
        }
        catch (Exception exception)
        {
            Log(logger => DatabaseLog.CancelResendFailed(logger, _work, exception.GetType().Name, exception.Message));
        }
    }

    private async Task ResendCoreAsync()
    {
        int processId;
        DbConnection cancelConnection;
        long checkedAt;
        lock (_gate)
        {
            if (_stopped || _command.Connection is not { } connection || (connection.State & ConnectionState.Open) == 0)
            {
                return;
            }

            processId = (int)_npgsql.ProcessId.GetValue(connection)!;
            checkedAt = _timeProvider.GetTimestamp();
            var builder = new DbConnectionStringBuilder { ConnectionString = connection.ConnectionString };
            builder["Pooling"] = "false";
            builder["Timeout"] = "5";
            cancelConnection = (DbConnection)_npgsql.CloneWith.Invoke(connection, [builder.ConnectionString])!;
            _attempts++;
        }

        var cancelled = 0L;
        try
        {
            await using (cancelConnection)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await cancelConnection.OpenAsync(timeout.Token);
                await using var cancel = cancelConnection.CreateCommand();
                cancel.CommandText = CancelSql;
                AddParameter(cancel, "pid", processId);
                AddParameter(cancel, "age", _timeProvider.GetElapsedTime(checkedAt).TotalSeconds);
                cancelled = Convert.ToInt64(await cancel.ExecuteScalarAsync(timeout.Token), CultureInfo.InvariantCulture);
            }
        }
        catch (Exception exception) when (exception is DbException or OperationCanceledException or InvalidOperationException or TimeoutException)
        {
            Log(logger => DatabaseLog.CancelResendFailed(logger, _work, exception.GetType().Name, exception.Message));
        }

        if (cancelled > 0)
        {
            Log(logger => DatabaseLog.CancelResent(logger, _work, processId, _attempts));
        }

        lock (_gate)
        {
            if (!_stopped && _attempts < MaxAttempts)
            {
                _timer?.Change(FirstDelay * (1 << _attempts), Timeout.InfiniteTimeSpan);
            }
        }
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private void Log(Action<ILogger> write)
    {
        if (_loggers is not null)
        {
            write(_loggers.CreateLogger(typeof(DatabaseCancel).FullName!));
        }
    }

    // Npgsql's members, looked up once (there is one NpgsqlConnection type per process, bar reloaded assemblies).
    private static NpgsqlMembers? FindMembers(Type type)
    {
        if (type.FullName != "Npgsql.NpgsqlConnection")
        {
            return null;
        }

        if (Volatile.Read(ref _members) is { } known && known.Connection == type)
        {
            return known;
        }

        var processId = type.GetProperty("ProcessID", BindingFlags.Public | BindingFlags.Instance);
        var cloneWith = type.GetMethod("CloneWith", BindingFlags.Public | BindingFlags.Instance, [typeof(string)]);
        if (processId?.PropertyType != typeof(int) || cloneWith is null)
        {
            return null;
        }

        var found = new NpgsqlMembers(type, processId, cloneWith);
        Volatile.Write(ref _members, found);
        return found;
    }

    private sealed record NpgsqlMembers(Type Connection, PropertyInfo ProcessId, MethodInfo CloneWith);
}
