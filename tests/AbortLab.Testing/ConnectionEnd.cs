namespace AbortLab.Testing;

/// <summary>How a test client ends its connection.</summary>
public enum ConnectionEnd
{
    /// <summary>A plain close: FIN.</summary>
    Fin,

    /// <summary>SO_LINGER 0, then close: RST.</summary>
    Rst,

    /// <summary>Shutdown of the sending side: FIN, still reading.</summary>
    HalfClose,
}
