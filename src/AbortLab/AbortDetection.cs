namespace AbortLab;

/// <summary>
/// What noticed an abort, the evidence an integration gives with <see cref="Integration.AbortScopeIntegrationExtensions.Abort"/>:
/// kept apart so metrics show how much the upload probe and read-ahead catch that the server alone would miss.
/// </summary>
public enum AbortDetection
{
    /// <summary>The server's own request-aborted token (or a token linked to it) fired.</summary>
    Server = 1,

    /// <summary>The stalled-upload probe found the connection's socket closed by the peer.</summary>
    SocketProbe = 2,

    /// <summary>The upload read-ahead hit the end of the connection.</summary>
    ReadAhead = 3,

    /// <summary>The host began to stop.</summary>
    Host = 4,

    /// <summary>Application code aborted the scope.</summary>
    Code = 5,
}
