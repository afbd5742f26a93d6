using Microsoft.AspNetCore.Http;

namespace AbortLab.Integration;

/// <summary>
/// What an integration package (a proxy, a database interceptor, a hub filter) does with a request's
/// <see cref="AbortScope"/> beyond what application code does: abort it with the evidence it has, find the live
/// request, continue its trace on an outgoing call, and take part in graceful shutdown as a stream.
/// </summary>
public static class AbortScopeIntegrationExtensions
{
    /// <summary>The W3C Trace Context header that carries <see cref="GetTraceParent"/> to the next hop.</summary>
    public const string TraceParentHeaderName = TraceParent.HeaderName;

    /// <summary>
    /// Aborts the scope with <paramref name="reason"/>, recording what noticed the abort: the first call wins, as
    /// with <see cref="AbortScope.Abort(AbortReason)"/>.
    /// </summary>
    /// <param name="scope">The scope to abort.</param>
    /// <param name="reason">Why the work must stop.</param>
    /// <param name="detectedBy">What noticed it.</param>
    /// <returns><see langword="true"/> if this call aborted the scope.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reason"/> or <paramref name="detectedBy"/> is not a defined value.</exception>
    public static bool Abort(this AbortScope scope, AbortReason reason, AbortDetection detectedBy)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (!Enum.IsDefined(reason))
        {
            throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown abort reason.");
        }

        if (!Enum.IsDefined(detectedBy))
        {
            throw new ArgumentOutOfRangeException(nameof(detectedBy), detectedBy, "Unknown abort detection.");
        }

        return scope.Abort(reason, detectedBy);
    }

    /// <summary>
    /// Aborts the scope as <see cref="AbortReason.ClientDisconnected"/> when <paramref name="exception"/> is an I/O
    /// failure and the connection shows that the client has left; a client still there (a malformed or too slow
    /// body, say) leaves the scope as it is.
    /// </summary>
    /// <param name="scope">The scope of the request whose I/O failed.</param>
    /// <param name="exception">The failure.</param>
    /// <returns>Whether the scope is aborted, by this call or before it.</returns>
    public static bool AttributeToClientDeparture(this AbortScope scope, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(exception);
        return scope.AttributeToClientDeparture(exception, AbortDetection.Server);
    }

    /// <summary>Gets the live request of the scope, or <see langword="null"/> once the request has ended.</summary>
    /// <param name="scope">The scope.</param>
    /// <returns>The request's context while the server still runs it.</returns>
    public static HttpContext? GetHttpContext(this AbortScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return scope.Request;
    }

    /// <summary>
    /// Gets a <c>traceparent</c> value that continues the scope's trace from a new span, for an outgoing call made
    /// without an <see cref="System.Diagnostics.Activity"/> (which would propagate itself): every hop's timeline then
    /// shares the trace id.
    /// </summary>
    /// <param name="scope">The scope.</param>
    /// <returns>A W3C <c>traceparent</c> value.</returns>
    public static string GetTraceParent(this AbortScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return TraceParent.Continuing(scope.Timeline.TraceId);
    }

    /// <summary>
    /// Marks the request an SSE or WebSocket stream, told first on graceful shutdown so that it can say goodbye to
    /// its client. With <paramref name="tellOnShutdown"/>, shutdown calls it instead of aborting the scope (a proxy
    /// whose forwarding the scope's token would cut before the goodbye passes); without it, the scope is aborted with
    /// <see cref="AbortReason.ServerShutdown"/>.
    /// </summary>
    /// <param name="scope">The scope of the stream's request.</param>
    /// <param name="tellOnShutdown">Called once when the server begins to stop; it must not block or throw.</param>
    public static void MarkStream(this AbortScope scope, Action? tellOnShutdown = null)
    {
        ArgumentNullException.ThrowIfNull(scope);
        scope.ShutdownNotifier = tellOnShutdown;
        scope.IsStream = true;
    }

    /// <summary>
    /// Records that the stream's client acknowledged the shutdown (answered the WebSocket close frame, or was handed
    /// the SSE goodbye): the shutdown report counts it acknowledged.
    /// </summary>
    /// <param name="scope">The stream's scope.</param>
    public static void AcknowledgeShutdown(this AbortScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        scope.AcknowledgeShutdown();
    }
}
