namespace AbortLab.Timelines;

/// <summary>
/// What a graceful shutdown did, logged and kept in the timeline store (a record like the timelines: it outlives the host that wrote it) and served at /api/shutdown.
/// </summary>
internal sealed class ShutdownReport
{
    /// <summary>Gets the hop that stopped.</summary>
    public required string Hop { get; init; }

    /// <summary>Gets when the drain began.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets when the report was made.</summary>
    public required DateTimeOffset CompletedAt { get; init; }

    /// <summary>Gets how many streams (SSE, WebSocket) were told the server is shutting down.</summary>
    public required int StreamsNotified { get; init; }

    /// <summary>Gets how many of those ended before the drain deadline: the client got the message and left.</summary>
    public required int StreamsAcknowledged { get; init; }

    /// <summary>Gets how many in-flight requests completed during the drain.</summary>
    public required int RequestsDrained { get; init; }

    /// <summary>Gets how many requests were still running at the deadline and were aborted.</summary>
    public required int RequestsAborted { get; init; }

    /// <summary>Gets how many requests still ran after that abort and a short grace: they ignore their token.</summary>
    public required int ZombiesLeft { get; init; }

    /// <summary>Gets how many new requests were turned away with 503 during the drain.</summary>
    public required int RequestsRefused { get; init; }
}
