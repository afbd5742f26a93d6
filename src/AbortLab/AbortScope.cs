using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AbortLab;

/// <summary>
/// The abort scope of one request: a token that fires when the work done for the request must stop, the reason it
/// fired, and a timeline of the work the request started.
/// </summary>
/// <remarks>
/// <para>
/// Unlike Kestrel's <c>HttpContext.RequestAborted</c>, whose source is reset and reused for the next request on a
/// keep-alive connection, the token of a scope belongs to its request alone: work that outlives the request may
/// capture it safely.
/// </para>
/// <para>
/// The token fires on a client disconnect (FIN, RST or half-close on HTTP/1.1, a stream reset on HTTP/2, an abandoned
/// upload), a timeout from ASP.NET Core's Request Timeouts middleware, server shutdown, and an explicit
/// <see cref="Abort(AbortReason)"/>.
/// </para>
/// </remarks>
[DebuggerDisplay("{RequestId,nq} Reason = {Reason}")]
public sealed class AbortScope
{
    private static readonly AsyncLocal<AbortScope?> CurrentScope = new();

    // Both sources are made on first use of their token (as Kestrel makes RequestAborted's): a request whose code
    // never asks for a token costs none. A source made after the abort is cancelled at once.

    // Fires for every reason: the token work captures.
    private CancellationTokenSource? _abortedSource;

    // Fires for every reason but Timeout. It is what AbortLab hands on as HttpContext.RequestAborted: the Request
    // Timeouts middleware answers 504 only when the token it found on entry did not fire, so a timeout must not
    // cancel that token or the 504 would become a rethrow.
    private CancellationTokenSource? _requestAbortedSource;

    private readonly IAbortScopeHost _host;
    private readonly IAbortScopeObserver? _connection;
    private int _reason;
    private int _requestAbortedFired;
    private int _shutdownAcknowledged;
    private long _goodbyeUntil;
    private HttpContext? _request;
    private IHttpRequestLifetimeFeature? _serverLifetime;

    internal AbortScope(IAbortScopeHost host, LiveTimeline timeline, Activity? activity, IAbortScopeObserver? connection, HttpContext? request, IHttpRequestLifetimeFeature? serverLifetime)
    {
        _host = host;
        _connection = connection;
        Timeline = timeline;
        Activity = activity;

        // Bound before the scope is published (LiveScopeRegistry's lock publishes it), so without a lock of its own.
        _request = request;
        _serverLifetime = serverLifetime;
    }

    /// <summary>
    /// Gets the scope of the request the calling code runs for, or <see langword="null"/> outside a request handled
    /// by the AbortLab middleware. It flows with the execution context, so work started from the request sees it.
    /// </summary>
    public static AbortScope? Current => CurrentScope.Value;

    /// <summary>
    /// Gets the identifier of the request's timeline in the timeline store. Reading it records the timeline if it was
    /// not yet (see <c>AbortLabOptions.RecordedRequestsPerSecond</c>), so that the id can be looked up.
    /// </summary>
    public string RequestId
    {
        get
        {
            Timeline.EnsureRecorded();
            return Timeline.Id;
        }
    }

    /// <summary>The timeline's id for AbortLab's own logs: reading it records nothing.</summary>
    internal string TimelineId => Timeline.Id;

    /// <summary>
    /// Gets a token that fires when the request's work must stop, whatever the reason. It is never reused by another
    /// request.
    /// </summary>
    public CancellationToken Token => (Volatile.Read(ref _abortedSource) ?? CreateSource(ref _abortedSource, ref _reason)).Token;

    /// <summary>
    /// Gets a value that tells whether the scope has been aborted.
    /// </summary>
    public bool IsAborted => Volatile.Read(ref _reason) != 0;

    /// <summary>
    /// Gets the reason the scope was aborted, or <see langword="null"/> while it has not been.
    /// </summary>
    public AbortReason? Reason
    {
        get
        {
            var reason = Volatile.Read(ref _reason);
            return reason == 0 ? null : (AbortReason)reason;
        }
    }

    /// <summary>
    /// Gets the time the abort was detected, or <see langword="null"/> while the scope has not been aborted.
    /// </summary>
    public DateTimeOffset? AbortedAt => Timeline.AbortedAt;

    internal LiveTimeline Timeline { get; }

    internal Activity? Activity { get; }

    internal CancellationToken RequestAbortedToken => (Volatile.Read(ref _requestAbortedSource) ?? CreateSource(ref _requestAbortedSource, ref _requestAbortedFired)).Token;

    internal IClientDepartureEvidence? ClientDeparture { get; set; }

    /// <summary>Written only by <see cref="LiveScopeRegistry"/>, under its lock.</summary>
    internal LiveLinks LiveLinks { get; set; }

    /// <summary>An upgrade (WebSocket) request owns its connection: closing the connection would cut the session.</summary>
    internal bool IsUpgradeRequest { get; set; }

    /// <summary>An SSE or WebSocket session: told first on shutdown, so it can say goodbye to its client.</summary>
    internal bool IsStream { get; set; }

    /// <summary>
    /// Tells a stream that the server stops, instead of aborting its scope: set by a proxy whose forwarding would be
    /// cut by the scope's token (the goodbye has to pass through it first). When <see langword="null"/>, the scope
    /// is aborted with <see cref="AbortReason.ServerShutdown"/>, which the app's own streams react to.
    /// </summary>
    internal Action? ShutdownNotifier { get; set; }

    /// <summary>Whether the client of a stream acknowledged the server's shutdown message (WebSocket close reply,
    /// SSE goodbye delivered).</summary>
    internal bool ShutdownAcknowledged => Volatile.Read(ref _shutdownAcknowledged) != 0;

    /// <summary>
    /// Until when (timestamp of the timeline's clock) the request is saying goodbye to its client after its abort,
    /// within a bound it set itself: the zombie watchdog judges it only after that.
    /// </summary>
    internal long GoodbyeUntil => Volatile.Read(ref _goodbyeUntil);

    /// <summary>The endpoint's display name, else method and path; read while the request still runs.</summary>
    internal string EndpointName
    {
        get
        {
            lock (Timeline.Gate)
            {
                try
                {
                    return _request?.GetEndpoint()?.DisplayName ?? $"{Timeline.Request.Method} {Timeline.Request.Path}";
                }
                catch (ObjectDisposedException)
                {
                    // Read from a timer (the zombie watchdog): the server may have let go of the request already.
                    return $"{Timeline.Request.Method} {Timeline.Request.Path}";
                }
            }
        }
    }

    /// <summary>
    /// Aborts the scope: records <paramref name="reason"/> and the time, then cancels <see cref="Token"/>.
    /// </summary>
    /// <param name="reason">Why the work must stop.</param>
    /// <returns>
    /// <see langword="true"/> if this call aborted the scope; <see langword="false"/> if it was aborted already, in
    /// which case the first reason stands.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reason"/> is not a defined value.</exception>
    public bool Abort(AbortReason reason)
    {
        if (!Enum.IsDefined(reason))
        {
            throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown abort reason.");
        }

        return Abort(reason, AbortDetection.Code);
    }

    internal bool Abort(AbortReason reason, AbortDetection detectedBy)
    {
        if (Interlocked.CompareExchange(ref _reason, (int)reason, 0) != 0)
        {
            // A client that leaves after a timeout still has to reach the code outside the timeout's reach.
            if (reason != AbortReason.Timeout)
            {
                FireRequestAborted();
            }

            return false;
        }

        // Record first, then cancel: every work stop then lands after the abort on the timeline. Metrics, logs and
        // the watchdog come after the cancellation, so they do not delay it (the hop benchmark measures this path).
        Timeline.MarkAborted(reason);

        if (reason != AbortReason.Timeout)
        {
            FireRequestAborted();
        }

        CancelSafely(Volatile.Read(ref _abortedSource));
        _host.OnAborted(this, reason, detectedBy);
        _connection?.OnAborted(this, reason, detectedBy);
        return true;
    }

    /// <summary>
    /// Starts tracking a unit of work of this request, so that the timeline shows when it stopped.
    /// </summary>
    /// <param name="name">A short name for the work, such as <c>"db.orders"</c> or <c>"backend-call"</c>.</param>
    /// <returns>A handle to end the work with; disposing it ends the work as Canceled if the scope was aborted by
    /// then, and as Completed otherwise.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
    public TrackedWork Track(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new TrackedWork(this, Timeline.StartWork(name));
    }

    /// <summary>
    /// Runs <paramref name="work"/> as a tracked unit of work, passing it the scope's token, and records how it ended:
    /// Completed; Canceled if it threw an <see cref="OperationCanceledException"/> (whoever cancelled), or an I/O
    /// failure the connection shows was the client leaving (the scope is then aborted as ClientDisconnected); else
    /// Faulted.
    /// </summary>
    /// <param name="name">A short name for the work.</param>
    /// <param name="work">The work to run.</param>
    /// <returns>A task that completes when the work does, with the work's own exception if it failed.</returns>
    public async Task RunAsync(string name, Func<CancellationToken, Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var tracked = Track(name);
        try
        {
            await work(Token);
            tracked.Complete();
        }
        catch (Exception exception)
        {
            tracked.End(exception);
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> as a tracked unit of work, passing it the scope's token, and records how it ended,
    /// as <see cref="RunAsync(string, Func{CancellationToken, Task})"/> does.
    /// </summary>
    /// <typeparam name="T">The type of the work's result.</typeparam>
    /// <param name="name">A short name for the work.</param>
    /// <param name="work">The work to run.</param>
    /// <returns>The work's result.</returns>
    public async Task<T> RunAsync<T>(string name, Func<CancellationToken, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var tracked = Track(name);
        try
        {
            var result = await work(Token);
            tracked.Complete();
            return result;
        }
        catch (Exception exception)
        {
            tracked.End(exception);
            throw;
        }
    }

    /// <summary>Whether <paramref name="token"/> is one of the scope's own, without making a source to compare with.</summary>
    internal bool OwnsToken(CancellationToken token) =>
        (Volatile.Read(ref _abortedSource) is { } aborted && token == aborted.Token)
        || (Volatile.Read(ref _requestAbortedSource) is { } requestAborted && token == requestAborted.Token);

    internal static void SetCurrent(AbortScope? scope) => CurrentScope.Value = scope;

    /// <summary>
    /// Called when the request ends, before its context is the server's again to recycle: records the status and
    /// lets go of the context, under the timeline's lock once.
    /// </summary>
    internal void Complete(int statusCode) => Timeline.MarkCompleted(statusCode, this);

    internal void AcknowledgeShutdown() => Volatile.Write(ref _shutdownAcknowledged, 1);

    /// <summary>Says that the request spends at most <paramref name="bound"/> from now saying goodbye to its client.</summary>
    internal void SayingGoodbyeFor(TimeSpan bound)
    {
        var clock = Timeline.TimeProvider;
        Volatile.Write(ref _goodbyeUntil, clock.GetTimestamp() + (long)(bound.TotalSeconds * clock.TimestampFrequency));
    }

    /// <summary>On shutdown: tells a stream through its notifier, else aborts the scope.</summary>
    internal void NotifyShutdown()
    {
        if (ShutdownNotifier is { } notify)
        {
            notify();
        }
        else
        {
            Abort(AbortReason.ServerShutdown, AbortDetection.Host);
        }
    }

    /// <summary>Called by <see cref="LiveTimeline.MarkCompleted"/> under <see cref="LiveTimeline.Gate"/>.</summary>
    internal void DetachRequestLocked()
    {
        _request = null;
        _serverLifetime = null;
    }

    /// <summary>The live request, or null once it ended.</summary>
    internal HttpContext? Request
    {
        get
        {
            lock (Timeline.Gate)
            {
                return _request;
            }
        }
    }

    internal bool TryAbortConnection()
    {
        lock (Timeline.Gate)
        {
            if (_serverLifetime is null)
            {
                return false;
            }

            _serverLifetime.Abort();
            return true;
        }
    }

    /// <summary>
    /// Aborts the scope as ClientDisconnected because its HTTP/1.x connection closed, unless the request already
    /// ended (the connection then outlived it, as a kept-alive one does).
    /// </summary>
    internal bool AbortOnConnectionClosed()
    {
        lock (Timeline.Gate)
        {
            if (_request is null)
            {
                return false;
            }
        }

        // Outside the lock: cancelling runs the token's callbacks.
        return Abort(AbortReason.ClientDisconnected, AbortDetection.Server);
    }

    /// <summary>
    /// Aborts the scope as ClientDisconnected when <paramref name="exception"/> is an I/O failure and the connection
    /// shows the client has left. Returns whether the scope is aborted.
    /// </summary>
    internal bool AttributeToClientDeparture(Exception exception, AbortDetection detectedBy = AbortDetection.Server)
    {
        if (!IsAborted && exception is not OperationCanceledException && AbortExceptions.IsCausedByAbort(exception) && ClientDeparture?.IsEvident() == true)
        {
            Abort(AbortReason.ClientDisconnected, detectedBy);
        }

        return IsAborted;
    }

    private void FireRequestAborted()
    {
        if (Interlocked.Exchange(ref _requestAbortedFired, 1) == 0)
        {
            CancelSafely(Volatile.Read(ref _requestAbortedSource));
        }
    }

    // The flag is set before the source is read on the abort side, and read after the source is published here:
    // whichever comes second cancels it.
    private CancellationTokenSource CreateSource(ref CancellationTokenSource? field, ref int firedFlag)
    {
        var created = new CancellationTokenSource();
        var source = Interlocked.CompareExchange(ref field, created, null);
        if (source is not null)
        {
            return source;
        }

        Timeline.MarkTokenHandedOut();
        if (Volatile.Read(ref firedFlag) != 0)
        {
            CancelSafely(created);
        }

        return created;
    }

    private void CancelSafely(CancellationTokenSource? source)
    {
        if (source is null)
        {
            return;
        }

        try
        {
            source.Cancel();
        }
        catch (AggregateException exception)
        {
            // A callback registered by application code threw; the abort itself must still complete.
            _host.OnCallbackFailed(this, exception);
        }
    }
}
