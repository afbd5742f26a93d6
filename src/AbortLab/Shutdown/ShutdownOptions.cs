using System.ComponentModel.DataAnnotations;

namespace AbortLab.Shutdown;

/// <summary>
/// Options of graceful shutdown: when the host stops, AbortLab drains before Kestrel cuts connections.
/// </summary>
public sealed class ShutdownOptions
{
    /// <summary>How long aborted requests get to end after the drain timeout, before the report is written.</summary>
    internal static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets a value that tells whether AbortLab drains on shutdown. When off, every scope is aborted with
    /// <see cref="AbortReason.ServerShutdown"/> as soon as the host begins to stop.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool DrainEnabled { get; set; } = true;

    /// <summary>
    /// Gets or sets how long in-flight requests may finish, and streams may acknowledge their shutdown message,
    /// before the rest is aborted. Must be shorter than <c>HostOptions.ShutdownTimeout</c> (checked at start-up).
    /// </summary>
    /// <value>Defaults to 10 seconds; from 0 to 10 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets the <c>Retry-After</c> sent with the 503 that new requests get while the server drains.
    /// </summary>
    /// <value>Defaults to 5 seconds; from 0 to 1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}
