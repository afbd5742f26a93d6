namespace AbortLab.Playwright;

/// <summary>How the rig brings each <see cref="AbortKind"/> about, and what the server should record for it.</summary>
internal static class AbortKinds
{
    /// <summary>The kinds the page aborts by itself once the browser saw enough (headers, a chunk, an event, progress, a timer).</summary>
    public static bool AbortsByItself(AbortKind kind) => kind is AbortKind.XhrAfterHeaders or AbortKind.XhrMidBody
        or AbortKind.FetchMidBody or AbortKind.ReaderCancel or AbortKind.AbortSignalTimeout
        or AbortKind.EventSourceClose or AbortKind.WebSocketClose or AbortKind.XhrUpload;

    /// <summary>The kinds that take the browser's connections with them, so even an HTTP/2 connection closes.</summary>
    public static bool ClosesConnections(AbortKind kind) => kind is AbortKind.ContextClose or AbortKind.BrowserKilled;

    /// <summary>
    /// The kinds that end the request with a protocol-level goodbye rather than an abort: a WebSocket close handshake
    /// is tunnelled as data through a proxy, whose own request then ends normally. Only the hop that runs the
    /// WebSocket sees the client leave.
    /// </summary>
    public static bool EndsGracefully(AbortKind kind) => kind is AbortKind.WebSocketClose;

    public static bool IsUpload(AbortKind kind) => kind is AbortKind.XhrUpload or AbortKind.FetchUpload;

    /// <summary>Whether a trace can be saved: not once the context or the browser is gone.</summary>
    public static bool CanTrace(AbortKind kind) => kind is not (AbortKind.ContextClose or AbortKind.BrowserKilled or AbortKind.PageClose);

    public static AbortExpectation Expectation(AbortKind kind) => kind switch
    {
        AbortKind.KeepaliveFetch => AbortExpectation.Completed,
        AbortKind.RouteAbort => AbortExpectation.NeverReached,
        _ => AbortExpectation.Aborted,
    };

    /// <summary>The function of the rig page that fires the request.</summary>
    public static string PageFunction(AbortKind kind) => kind switch
    {
        AbortKind.NavigationAway or AbortKind.PageClose or AbortKind.ContextClose or AbortKind.BrowserKilled => "InFlightFetch",
        _ => kind.ToString(),
    };
}
