using System.Data;
using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AbortLab.Data;

/// <summary>
/// Whether the database confirmed the cancel of an aborted command. A provider that cancels by a message on another
/// connection (Npgsql's cancel request) and cannot deliver it closes the command's connection instead: the caller is
/// free at once, but the server knows nothing of the abort and may run the statement to its end. The work is then
/// <see cref="WorkOutcome.Canceled"/> with the error <see cref="Unconfirmed"/>, and a warning names the statement.
/// </summary>
internal static class DatabaseCancel
{
    /// <summary>The work's error when the command's connection was dropped instead of the statement being cancelled.</summary>
    public const string Unconfirmed = "DatabaseCancelUnconfirmed";

    /// <summary>An aborted command whose connection is no longer open: the provider gave up on the statement, not the server.</summary>
    public static bool IsUnconfirmed(AbortScope scope, DbCommand command) =>
        scope.IsAborted && command.Connection is { } connection && (connection.State & ConnectionState.Open) == 0;

    /// <summary>Ends <paramref name="work"/> as canceled, unconfirmed by the server, and says so in the log.</summary>
    public static void RecordUnconfirmed(AbortScope scope, TrackedWork work, DbCommand command)
    {
        work.End(WorkOutcome.Canceled, Unconfirmed);
        if (scope.Request?.RequestServices.GetService<ILoggerFactory>() is { } loggers)
        {
            DatabaseLog.CancelUnconfirmed(loggers.CreateLogger(typeof(DatabaseCancel).FullName!), work.Name, command.Connection?.GetType().Name ?? "?");
        }
    }
}
