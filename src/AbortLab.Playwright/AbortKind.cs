namespace AbortLab.Playwright;

/// <summary>
/// How the browser gives up on a request. Each kind is one column of the abort matrix.
/// </summary>
public enum AbortKind
{
    /// <summary><c>XMLHttpRequest.abort()</c> while the response headers have not arrived (readyState 1).</summary>
    XhrBeforeHeaders,

    /// <summary><c>XMLHttpRequest.abort()</c> as soon as the headers arrive (readyState 2), before any body is read.</summary>
    XhrAfterHeaders,

    /// <summary><c>XMLHttpRequest.abort()</c> once part of the response body has been read (readyState 3).</summary>
    XhrMidBody,

    /// <summary><c>AbortController.abort()</c> on a <c>fetch</c> whose response has not arrived.</summary>
    FetchBeforeResponse,

    /// <summary><c>AbortController.abort()</c> on a <c>fetch</c> after its first body chunk was read.</summary>
    FetchMidBody,

    /// <summary><c>ReadableStreamDefaultReader.cancel()</c> on a streamed <c>fetch</c> body after its first chunk.</summary>
    ReaderCancel,

    /// <summary>A <c>fetch</c> given <c>AbortSignal.timeout()</c>, which fires on its own.</summary>
    AbortSignalTimeout,

    /// <summary>The page navigates away while a <c>fetch</c> is in flight.</summary>
    NavigationAway,

    /// <summary>Playwright's <c>page.close()</c> while a <c>fetch</c> is in flight.</summary>
    PageClose,

    /// <summary>Playwright's <c>context.close()</c> while a <c>fetch</c> is in flight: the context's connections go with it.</summary>
    ContextClose,

    /// <summary>The browser's processes are killed (SIGKILL) while a <c>fetch</c> is in flight. Linux only.</summary>
    BrowserKilled,

    /// <summary><c>EventSource.close()</c> after the first event.</summary>
    EventSourceClose,

    /// <summary><c>WebSocket.close()</c> after the first message.</summary>
    WebSocketClose,

    /// <summary>An <c>XMLHttpRequest</c> upload aborted midway, once part of the body was sent.</summary>
    XhrUpload,

    /// <summary>A <c>fetch</c> upload aborted midway, while the body is still being sent.</summary>
    FetchUpload,

    /// <summary>
    /// Negative control: a <c>fetch</c> with <c>keepalive: true</c> outlives a navigation away, so the server must
    /// see it complete, not aborted.
    /// </summary>
    KeepaliveFetch,

    /// <summary>
    /// Negative control: Playwright's <c>route.abort()</c> fails the request inside the browser, so it never reaches
    /// the server, which must record nothing for it.
    /// </summary>
    RouteAbort,
}
