using System.ComponentModel.DataAnnotations;
using AbortLab.Background;
using AbortLab.Diagnostics;
using AbortLab.Sensors;
using AbortLab.Shutdown;
using AbortLab.Uploads;
using AbortLab.Zombies;
using Microsoft.Extensions.Options;

namespace AbortLab.Hosting;

/// <summary>
/// Options of the AbortLab middleware. Validated when the host starts.
/// </summary>
public sealed class AbortLabOptions
{
    /// <summary>
    /// Gets or sets the name of this hop (server) on its timelines.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: the host's application name.</value>
    [StringLength(64)]
    public string? HopName { get; set; }

    /// <summary>
    /// Gets or sets how many request timelines the store keeps; the oldest are dropped beyond it.
    /// </summary>
    /// <value>Defaults to 10 000; from 1 to 1 000 000.</value>
    [Range(1, 1_000_000)]
    public int TimelineCapacity { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets how many timeline events the store keeps for readers that fall behind or reconnect.
    /// </summary>
    /// <value>Defaults to 100 000; from 16 to 10 000 000.</value>
    [Range(16, 10_000_000)]
    public int EventCapacity { get; set; } = 100_000;

    /// <summary>
    /// Gets or sets how many requests a second are recorded from their start (timeline in the store, events on the
    /// feed) whatever becomes of them. Past it, within the same second, a request is recorded only once it turns out to
    /// matter: aborted (client gone, timeout, shutdown, code), a zombie, a log of <see cref="SensorOptions.MinimumLogLevel"/>
    /// or above, detached or faulted work, an exception out of the pipeline, a status of 500 or above, or
    /// <see cref="AbortScope.RequestId"/> read. A request that ends normally under heavy load then costs no slot in the
    /// ring and no event, and the dashboard still shows up to this many normal requests a second.
    /// </summary>
    /// <value>Defaults to 1 000; from 0 (only requests that matter) to 10 000 000 (in effect, every request).</value>
    [Range(0, 10_000_000)]
    public int RecordedRequestsPerSecond { get; set; } = 1_000;

    /// <summary>
    /// Gets or sets a value that tells whether the values of query strings are replaced by <c>***</c> on timelines.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool RedactQueryString { get; set; } = true;

    /// <summary>
    /// Gets the query parameters whose values are shown in clear on timelines when <see cref="RedactQueryString"/>
    /// is set (names compared case-insensitively). Every other value is replaced by <c>***</c>, and so is a
    /// parameter given without a value, whose name may be the secret.
    /// </summary>
    /// <value>Defaults to empty.</value>
    public IList<string> QueryParametersShownInClear { get; } = [];

    /// <summary>
    /// Gets the path prefixes whose requests pass through the middleware untouched: no scope, no timeline, no events,
    /// no stalled-upload watch, not refused while draining — for health probes, static files or <c>/favicon.ico</c>.
    /// A prefix matches whole segments, case-insensitively (<c>/health</c> matches <c>/health</c> and
    /// <c>/health/ready</c>, not <c>/healthy</c>). Code that runs for such a request finds no
    /// <see cref="AbortScope"/>: <c>HttpContext.RequestAborted</c> is the server's own token.
    /// </summary>
    /// <value>Defaults to empty: every request is recorded. Each entry must start with <c>/</c> and hold no query.</value>
    public IList<string> ExcludedPaths { get; } = [];

    /// <summary>
    /// Gets or sets the request header whose value tags a request's timeline.
    /// </summary>
    /// <value>Defaults to <c>AbortLab-Tag</c>.</value>
    [Required]
    [StringLength(128, MinimumLength = 1)]
    public string TagHeaderName { get; set; } = "AbortLab-Tag";

    /// <summary>
    /// Gets or sets the query parameter whose value tags a request's timeline when the header is absent.
    /// </summary>
    /// <value>Defaults to <c>abortlab-tag</c>.</value>
    [Required]
    [StringLength(128, MinimumLength = 1)]
    public string TagQueryParameter { get; set; } = "abortlab-tag";

    /// <summary>
    /// Gets or sets how long the HTTP/1.1 connection of an aborted or timed-out request may stay open after the
    /// request ended before AbortLab aborts it. Such a connection is never reused: its response carries
    /// <c>Connection: close</c> where a response can still be sent.
    /// </summary>
    /// <value>Defaults to 2 seconds; from 0 to 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ConnectionLingerTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Gets or sets the status code recorded, and sent when no response has started, when the client went away.
    /// </summary>
    /// <value>Defaults to 499 (client closed request); from 400 to 599.</value>
    [Range(400, 599)]
    public int ClientDisconnectedStatusCode { get; set; } = 499;

    /// <summary>
    /// Gets or sets the status code sent when a timeout aborted the request and the Request Timeouts middleware
    /// could not answer itself.
    /// </summary>
    /// <value>Defaults to 504; from 400 to 599.</value>
    [Range(400, 599)]
    public int TimeoutStatusCode { get; set; } = 504;

    /// <summary>
    /// Gets or sets the status code sent when server shutdown aborted the request before its response started.
    /// </summary>
    /// <value>Defaults to 503; from 400 to 599.</value>
    [Range(400, 599)]
    public int ServerShutdownStatusCode { get; set; } = 503;

    /// <summary>
    /// Gets or sets the status code sent when an upstream cancellation aborted the request before its response started.
    /// </summary>
    /// <value>Defaults to 502; from 400 to 599.</value>
    [Range(400, 599)]
    public int UpstreamCanceledStatusCode { get; set; } = 502;

    /// <summary>
    /// Gets or sets the status code sent when application code aborted the request before its response started.
    /// </summary>
    /// <value>Defaults to 500; from 400 to 599.</value>
    [Range(400, 599)]
    public int ApplicationAbortStatusCode { get; set; } = 500;

    /// <summary>
    /// Gets the options of stalled-upload detection.
    /// </summary>
    [ValidateObjectMembers]
    public StalledUploadOptions StalledUploads { get; } = new();

    /// <summary>
    /// Gets the options of the zombie watchdog.
    /// </summary>
    [ValidateObjectMembers]
    public ZombieOptions Zombies { get; } = new();

    /// <summary>
    /// Gets the options of the background work queue (<see cref="IBackgroundWorkQueue"/>).
    /// </summary>
    [ValidateObjectMembers]
    public BackgroundWorkOptions BackgroundWork { get; } = new();

    /// <summary>
    /// Gets the options of the sensors that need no cooperation from the app (logs, operations after an abort).
    /// </summary>
    [ValidateObjectMembers]
    public SensorOptions Sensors { get; } = new();

    /// <summary>
    /// Gets the options of the diagnostics API and dashboard: who may reach them, and the event stream's bounds.
    /// </summary>
    [ValidateObjectMembers]
    public DiagnosticsOptions Diagnostics { get; } = new();

    /// <summary>
    /// Gets the options of graceful shutdown.
    /// </summary>
    [ValidateObjectMembers]
    public ShutdownOptions Shutdown { get; } = new();

    /// <summary>
    /// Gets the status AbortLab records, and answers when the response has not started, for a request aborted for
    /// <paramref name="reason"/>.
    /// </summary>
    /// <param name="reason">Why the request was aborted.</param>
    /// <returns>The configured status for <paramref name="reason"/>; <see cref="ApplicationAbortStatusCode"/> for <see cref="AbortReason.Application"/>.</returns>
    public int StatusCodeFor(AbortReason reason) => reason switch
    {
        AbortReason.ClientDisconnected => ClientDisconnectedStatusCode,
        AbortReason.Timeout => TimeoutStatusCode,
        AbortReason.ServerShutdown => ServerShutdownStatusCode,
        AbortReason.UpstreamCanceled => UpstreamCanceledStatusCode,
        _ => ApplicationAbortStatusCode,
    };
}
