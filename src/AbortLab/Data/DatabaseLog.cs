using Microsoft.Extensions.Logging;

namespace AbortLab.Data;

/// <summary>Log messages of the database adapters. A command cancelled by an abort is normal and not logged.</summary>
internal static partial class DatabaseLog
{
    [LoggerMessage(18, LogLevel.Warning, "The database did not confirm the cancel of '{Work}': the provider ({Connection}) closed the connection instead, so the server may still be running the statement. PostgreSQL ends it when it next checks the client socket (client_connection_check_interval) or when it finishes.", EventName = "DatabaseCancelUnconfirmed")]
    public static partial void CancelUnconfirmed(ILogger logger, string work, string connection);
}
