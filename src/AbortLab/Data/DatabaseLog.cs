using Microsoft.Extensions.Logging;

namespace AbortLab.Data;

/// <summary>Log messages of the database adapters. A command cancelled by an abort is normal and not logged.</summary>
internal static partial class DatabaseLog
{
    [LoggerMessage(EventIds.DatabaseCancelUnconfirmed, LogLevel.Warning, "The database did not confirm the cancel of '{Work}': the provider ({Connection}) closed the connection instead, so the server may still be running the statement. PostgreSQL ends it when it next checks the client socket (client_connection_check_interval) or when it finishes.", EventName = nameof(EventIds.DatabaseCancelUnconfirmed))]
    public static partial void CancelUnconfirmed(ILogger logger, string work, string connection);

    [LoggerMessage(EventIds.DatabaseCancelResent, LogLevel.Information, "'{Work}' still ran after its abort: PostgreSQL had dropped the first cancel request (it came before the statement), so the statement of backend {ProcessId} was cancelled again (attempt {Attempt}).", EventName = nameof(EventIds.DatabaseCancelResent))]
    public static partial void CancelResent(ILogger logger, string work, int processId, int attempt);

    [LoggerMessage(EventIds.DatabaseCancelResendFailed, LogLevel.Debug, "Sending the cancel of '{Work}' again failed: {ExceptionType}: {Message}", EventName = nameof(EventIds.DatabaseCancelResendFailed))]
    public static partial void CancelResendFailed(ILogger logger, string work, string exceptionType, string message);
}
