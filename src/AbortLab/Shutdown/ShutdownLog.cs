using Microsoft.Extensions.Logging;

namespace AbortLab.Shutdown;

/// <summary>Log messages of graceful shutdown. A client that goes away is normal: those are Debug.</summary>
internal static partial class ShutdownLog
{
    [LoggerMessage(EventIds.ShutdownAbortingScopes, LogLevel.Information, "The host is stopping: aborting {Count} request scope(s) with reason ServerShutdown.", EventName = nameof(EventIds.ShutdownAbortingScopes))]
    public static partial void ShutdownAbortingScopes(ILogger logger, int count);

    [LoggerMessage(EventIds.ShutdownReported, LogLevel.Information, "Shutdown of {Hop}: {StreamsNotified} stream(s) told, {StreamsAcknowledged} acknowledged; {RequestsDrained} request(s) drained, {RequestsAborted} aborted, {ZombiesLeft} zombie(s) left; {RequestsRefused} new request(s) refused while draining.", EventName = nameof(EventIds.ShutdownReported))]
    public static partial void ShutdownReported(ILogger logger, string hop, int streamsNotified, int streamsAcknowledged, int requestsDrained, int requestsAborted, int zombiesLeft, int requestsRefused);
}
