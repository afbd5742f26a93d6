namespace AbortLab;

/// <summary>
/// What the connection can prove about the client: whether it has left. A scope asks it before it calls an I/O
/// failure a client disconnect; the connections layer answers.
/// </summary>
internal interface IClientDepartureEvidence
{
    /// <summary>Whether the connection shows the client has gone (FIN, RST, a reset stream, the server's own token).</summary>
    bool IsEvident();
}
