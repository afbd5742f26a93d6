namespace AbortLab;

/// <summary>
/// Why the work of a request had to stop. The first reason recorded for a scope wins.
/// </summary>
public enum AbortReason
{
    /// <summary>
    /// The client went away: FIN, RST or half-close on HTTP/1.1, RST_STREAM on HTTP/2, or an abandoned upload
    /// found by the stalled-upload probe or read-ahead.
    /// </summary>
    ClientDisconnected = 1,

    /// <summary>
    /// A timeout from ASP.NET Core's Request Timeouts middleware fired.
    /// </summary>
    Timeout = 2,

    /// <summary>
    /// The host is stopping (<c>IHostApplicationLifetime.ApplicationStopping</c>).
    /// </summary>
    ServerShutdown = 3,

    /// <summary>
    /// A call the request depends on was cancelled or failed upstream, and the request cannot go on without it.
    /// </summary>
    UpstreamCanceled = 4,

    /// <summary>
    /// Application code called <see cref="AbortScope.Abort(AbortReason)"/> or <c>HttpContext.Abort()</c>.
    /// </summary>
    Application = 5,
}
