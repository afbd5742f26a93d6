using System.ComponentModel.DataAnnotations;

namespace AbortLab.Diagnostics;

/// <summary>
/// Options of the diagnostics API and dashboard (<c>MapAbortLab</c>): who may reach them, and how much the event
/// stream may hold for its subscribers.
/// </summary>
public sealed class DiagnosticsOptions
{
    /// <summary>
    /// Gets the host names (without port) that a request to the diagnostics may name in its <c>Host</c> header when
    /// the endpoints have no authorization policy. Any other name is refused, so a web page that rebinds its own
    /// DNS name to 127.0.0.1 cannot read them. <c>localhost</c> and its subdomains are always allowed.
    /// </summary>
    /// <value>Defaults to <c>127.0.0.1</c>, <c>[::1]</c> and this machine's name.</value>
    public IList<string> AllowedHosts { get; } = ["127.0.0.1", "[::1]", Environment.MachineName];

    /// <summary>
    /// Gets or sets how many past events a stream subscriber that sends no <c>Last-Event-ID</c> is given before
    /// the live ones.
    /// </summary>
    /// <value>Defaults to 100; from 0 to 10 000.</value>
    [Range(0, 10_000)]
    public int StreamBacklog { get; set; } = 100;

    /// <summary>
    /// Gets or sets how many clients may follow the event stream at once; beyond it a subscriber gets 503 with
    /// <c>Retry-After</c>.
    /// </summary>
    /// <value>Defaults to 32; from 1 to 10 000.</value>
    [Range(1, 10_000)]
    public int MaxStreamSubscribers { get; set; } = 32;

    /// <summary>
    /// Gets or sets how many events a stream subscriber may fall behind the newest before it is sent
    /// <c>event: resync</c> and cut. It then reconnects near now and reloads its state.
    /// </summary>
    /// <value>Defaults to 10 000; from 16 to 10 000 000.</value>
    [Range(16, 10_000_000)]
    public int StreamMaxLagEvents { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets how many bytes the stream writes for one subscriber before waiting for its connection to take
    /// them; Kestrel's own response buffer (<c>MaxResponseBufferSize</c>, 64 KiB by default) comes on top.
    /// </summary>
    /// <value>Defaults to 64 KiB; from 4 KiB to 16 MiB.</value>
    [Range(4 * 1024, 16 * 1024 * 1024)]
    public int StreamMaxBufferedBytes { get; set; } = 64 * 1024;
}
