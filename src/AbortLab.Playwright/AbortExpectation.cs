namespace AbortLab.Playwright;

/// <summary>
/// What the server should record for an <see cref="AbortKind"/>.
/// </summary>
public enum AbortExpectation
{
    /// <summary>Every hop sees the abort, stops its work, and the connection closes (HTTP/1.1) or only the stream is reset (HTTP/2).</summary>
    Aborted,

    /// <summary>The request completes normally even though the page went away (<see cref="AbortKind.KeepaliveFetch"/>).</summary>
    Completed,

    /// <summary>The request never reaches the server (<see cref="AbortKind.RouteAbort"/>).</summary>
    NeverReached,
}
