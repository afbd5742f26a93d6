namespace AbortLab.Playwright;

/// <summary>
/// Options of an <see cref="AbortRig"/>: where the app is, where its AbortLab records are read, and how long to wait.
/// </summary>
public sealed class AbortRigOptions
{
    /// <summary>
    /// Gets or sets the app's base address: the browser's page gets this origin, and request paths are relative to it.
    /// </summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// Gets the addresses whose AbortLab diagnostics API (<c>MapAbortLab</c>) the verdict reads, such as
    /// <c>http://127.0.0.1:5001/</c>. When the request crosses several hosts (a proxy in front of the app, a backend
    /// behind it), name each host here, the first one included: the rig reads every timeline of the request's tag and
    /// trace from all of them, telling timelines apart by hop and id, and reads each process's sensors.
    /// </summary>
    /// <value>Defaults to empty: the <see cref="BaseAddress"/> only.</value>
    public IList<Uri> DiagnosticsAddresses { get; } = [];

    /// <summary>Gets or sets the prefix the app gave <c>MapAbortLab</c>.</summary>
    /// <value>Defaults to <c>/abortlab</c>.</value>
    public string DiagnosticsPrefix { get; set; } = "/abortlab";

    /// <summary>Gets or sets the query parameter that tags a request (AbortLab's <c>TagQueryParameter</c>).</summary>
    /// <value>Defaults to <c>abortlab-tag</c>.</value>
    public string TagQueryParameter { get; set; } = "abortlab-tag";

    /// <summary>
    /// Gets or sets the Chromium executable. When empty the rig looks for Playwright's own installed Chromium, then
    /// the <c>ABORTLAB_CHROMIUM</c> environment variable, then <c>/usr/bin/chromium</c>.
    /// </summary>
    public string? ExecutablePath { get; set; }

    /// <summary>Gets or sets a value that tells whether Chromium runs headless.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool Headless { get; set; } = true;

    /// <summary>
    /// Gets or sets a value that tells whether the browser and the diagnostics reader accept any TLS certificate,
    /// such as the lab's self-signed one.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool IgnoreHttpsErrors { get; set; }

    /// <summary>
    /// Gets or sets how long the rig waits for the request to reach the point where it is aborted: the server's work
    /// started on every expected hop, or the browser saw the headers, the first chunk or the first event.
    /// </summary>
    /// <value>Defaults to 15 seconds.</value>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Gets or sets how long after the browser's abort the server has to record it: the abort, the end of every
    /// piece of work and, on HTTP/1.1, the closed socket. Chromium may drain a cancelled response on a reusable
    /// HTTP/1.1 connection for about 5 seconds before it closes the socket, so keep this well above that.
    /// </summary>
    /// <value>Defaults to 15 seconds.</value>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Gets or sets how long the rig watches for a request that must never reach the server
    /// (<see cref="AbortKind.RouteAbort"/>) after the browser failed it.
    /// </summary>
    /// <value>Defaults to 1 second.</value>
    public TimeSpan QuietPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the delay given to <c>AbortSignal.timeout()</c> (<see cref="AbortKind.AbortSignalTimeout"/>).</summary>
    /// <value>Defaults to 1 second.</value>
    public TimeSpan SignalTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the size of the body of the upload kinds.</summary>
    /// <value>Defaults to 20 MiB.</value>
    public int UploadBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>
    /// Gets or sets the browser's upload throughput during the upload kinds (Chromium's network emulation), so that
    /// an upload over loopback is still in flight when it is aborted.
    /// </summary>
    /// <value>Defaults to 8 MiB per second.</value>
    public int UploadBytesPerSecond { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// Gets or sets how long after the first hop saw the abort every hop's work may take to stop: its pipeline
    /// returned and its tracked work ended. Work still running past it fails the verdict at once, without waiting for
    /// the <see cref="Deadline"/>.
    /// </summary>
    /// <value>Defaults to 1 second.</value>
    public TimeSpan WorkStopBound { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets how long the rig watches each process once the request's work stopped: its CPU, the child
    /// processes and the connections the request left behind. The rig fires one abort at a time, so what the process
    /// does in this window, while no request runs, is the aborted request's doing.
    /// </summary>
    /// <value>Defaults to 500 milliseconds; 0 turns the process checks off.</value>
    public TimeSpan QuietWindow { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Gets or sets how long after the last abort <see cref="AbortRig.SweepAsync"/> waits before it reads every judged
    /// request's records once more: a write, an error log or code of the request that came this late after its abort
    /// fails the verdict it belongs to. Each verdict is also read again at the end of its own
    /// <see cref="QuietWindow"/>.
    /// </summary>
    /// <value>Defaults to 3 seconds; 0 turns the sweep off; at most 1 minute.</value>
    public TimeSpan LateEffectWindow { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Gets or sets how many cores' worth of CPU the app's threads may use in every slice of the
    /// <see cref="QuietWindow"/> (the window is cut in five), while one of them is always runnable, before the verdict
    /// says work the app did not register is still running: a loop that hops threads. A thread that never blocks in
    /// any slice fails the verdict whatever this says. The runtime's own threads (JIT, GC) are left out.
    /// </summary>
    /// <value>Defaults to 0.5; from 0.05 to 64.</value>
    public double CpuThreshold { get; set; } = 0.5;

    /// <summary>
    /// Gets or sets a value that tells whether detached background work that the aborted request queued and that is
    /// still running fails the verdict. Work meant to outlive its request (an e-mail after an order) is fine; work the
    /// request waited for should have been queued with the request's lifetime.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>; the work is reported in <see cref="AbortVerdict.Notes"/> either way.</value>
    public bool FailOnDetachedWork { get; set; } = true;

    /// <summary>
    /// Gets or sets how long the rig waits, before a triggered abort, for the request's chain of hops to settle:
    /// without <see cref="AbortRequest.ExpectedHops"/>, and for an endpoint that tracks no work, the abort is fired
    /// once no new hop appeared for this long.
    /// </summary>
    /// <value>Defaults to 250 milliseconds.</value>
    public TimeSpan UntrackedStartDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Gets or sets how much of the body the upload kinds send before they abort: more than Kestrel buffers of an
    /// unread body (1 MiB) plus the sockets' buffers, so that an app that stops reading is caught stalled. An upload
    /// whose progress stops before this point is aborted once it stalled for a second.
    /// </summary>
    /// <value>Defaults to 4 MiB; less than <see cref="UploadBytes"/>.</value>
    public int UploadAbortAtBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Gets or sets the folder that receives a Playwright trace and a screenshot of every failed verdict.
    /// <see cref="AbortRigFixture"/> sets it to <c>TestResults/abortlab-rig</c> under the test project.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: nothing is kept.</value>
    public string? ArtifactsDirectory { get; set; }

    internal IReadOnlyList<Uri> EffectiveDiagnosticsAddresses => DiagnosticsAddresses.Count > 0 ? [.. DiagnosticsAddresses] : [BaseAddress!];

    internal void Validate()
    {
        var problems = new List<string>();
        if (BaseAddress is null || !BaseAddress.IsAbsoluteUri || (BaseAddress.Scheme != Uri.UriSchemeHttp && BaseAddress.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"{nameof(BaseAddress)} must be an absolute http or https address (was '{BaseAddress}').");
        }

        foreach (var address in DiagnosticsAddresses)
        {
            if (address is null || !address.IsAbsoluteUri)
            {
                problems.Add($"{nameof(DiagnosticsAddresses)} must hold absolute addresses (was '{address}').");
            }
        }

        if (string.IsNullOrEmpty(DiagnosticsPrefix) || DiagnosticsPrefix[0] != '/')
        {
            problems.Add($"{nameof(DiagnosticsPrefix)} must start with '/' (was '{DiagnosticsPrefix}').");
        }

        if (string.IsNullOrWhiteSpace(TagQueryParameter))
        {
            problems.Add($"{nameof(TagQueryParameter)} must not be empty.");
        }

        foreach (var (name, value) in new[] { (nameof(StartTimeout), StartTimeout), (nameof(Deadline), Deadline), (nameof(QuietPeriod), QuietPeriod), (nameof(SignalTimeout), SignalTimeout), (nameof(WorkStopBound), WorkStopBound), (nameof(UntrackedStartDelay), UntrackedStartDelay) })
        {
            if (value <= TimeSpan.Zero || value > TimeSpan.FromMinutes(10))
            {
                problems.Add($"{name} must be above zero and at most 10 minutes (was {value}).");
            }
        }

        if (UploadBytes is < 1024 or > 1024 * 1024 * 1024)
        {
            problems.Add($"{nameof(UploadBytes)} must be from 1 KiB to 1 GiB (was {UploadBytes}).");
        }

        if (QuietWindow < TimeSpan.Zero || QuietWindow > TimeSpan.FromMinutes(1))
        {
            problems.Add($"{nameof(QuietWindow)} must be from 0 to 1 minute (was {QuietWindow}).");
        }

        if (LateEffectWindow < TimeSpan.Zero || LateEffectWindow > TimeSpan.FromMinutes(1))
        {
            problems.Add($"{nameof(LateEffectWindow)} must be from 0 to 1 minute (was {LateEffectWindow}).");
        }

        if (double.IsNaN(CpuThreshold) || CpuThreshold < 0.05 || CpuThreshold > 64)
        {
            problems.Add($"{nameof(CpuThreshold)} must be from 0.05 to 64 cores (was {CpuThreshold}).");
        }

        if (UploadAbortAtBytes < 1024 || UploadAbortAtBytes >= UploadBytes)
        {
            problems.Add($"{nameof(UploadAbortAtBytes)} must be at least 1 KiB and less than {nameof(UploadBytes)} (was {UploadAbortAtBytes} of {UploadBytes}).");
        }

        if (WorkStopBound > Deadline)
        {
            problems.Add($"{nameof(WorkStopBound)} must not be longer than {nameof(Deadline)} (was {WorkStopBound} against {Deadline}).");
        }

        if (UploadBytesPerSecond < 1024)
        {
            problems.Add($"{nameof(UploadBytesPerSecond)} must be at least 1 KiB per second (was {UploadBytesPerSecond}).");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"Invalid {nameof(AbortRigOptions)}: {string.Join(" ", problems)}");
        }
    }
}
