using System.Globalization;
using System.Text;

namespace AbortLab.Playwright;

/// <summary>
/// What the server recorded for one abort the browser fired, and whether it is what the kind of abort demands.
/// Latencies are measured from the browser's abort, on the same wall clock as the server's timelines.
/// </summary>
public sealed class AbortVerdict
{
    internal AbortVerdict(AbortRequest request, string tag, Uri url, AbortExpectation expectation)
    {
        Kind = request.Kind;
        Tag = tag;
        Url = url;
        Expectation = expectation;
        ExpectedHops = request.ExpectedHops;
    }

    /// <summary>The hops the request was expected to cross, in order: how its timelines are ordered when read again.</summary>
    internal IReadOnlyList<string> ExpectedHops { get; }

    /// <summary>When the records were last judged.</summary>
    internal DateTimeOffset JudgedAt { get; set; }

    /// <summary>Gets how the browser gave up on the request.</summary>
    public AbortKind Kind { get; }

    /// <summary>Gets what the server should have recorded.</summary>
    public AbortExpectation Expectation { get; }

    /// <summary>Gets the tag that names the request in the server's records.</summary>
    public string Tag { get; }

    /// <summary>Gets the address the browser requested.</summary>
    public Uri Url { get; }

    /// <summary>Gets when the browser aborted, or <see langword="null"/> if it never got that far.</summary>
    public DateTimeOffset? BrowserAbortedAt { get; internal set; }

    /// <summary>Gets what the browser had seen of the request when it aborted (ready state, bytes, events).</summary>
    public string? BrowserState { get; internal set; }

    /// <summary>Gets the timelines every hop recorded for the tag, the first hop first.</summary>
    public IReadOnlyList<RequestTimeline> Timelines { get; internal set; } = [];

    /// <summary>Gets the protocol of the first hop's request, such as <c>HTTP/1.1</c> or <c>HTTP/2</c>.</summary>
    public string? Protocol => Timelines.Count > 0 ? Timelines[0].Protocol : null;

    /// <summary>
    /// Gets the milliseconds from the browser's abort to the first hop's; for a WebSocket close, which proxies
    /// tunnel as data, to the hop that runs the WebSocket.
    /// </summary>
    public double? DetectionMs { get; internal set; }

    /// <summary>Gets the milliseconds from the browser's abort to the last hop's.</summary>
    public double? LastHopDetectionMs { get; internal set; }

    /// <summary>Gets the milliseconds from the browser's abort to the end of the last piece of work on any hop.</summary>
    public double? WorkStoppedMs { get; internal set; }

    /// <summary>Gets the milliseconds from the browser's abort to the first hop's connection closing, if it closed.</summary>
    public double? ConnectionClosedMs { get; internal set; }

    /// <summary>
    /// Gets a value that tells whether the first hop's connection was still open once the request had ended, as an
    /// HTTP/2 stream reset leaves it; <see langword="null"/> when not checked.
    /// </summary>
    public bool? ConnectionKept { get; internal set; }

    /// <summary>
    /// Gets how many cores' worth of CPU the app's threads used in the quietest slice of the window after the
    /// request's work stopped (summed over the processes), or <see langword="null"/> when not measured.
    /// </summary>
    public double? QuietCpuCores { get; internal set; }

    /// <summary>
    /// Gets how many cores' worth of CPU the app's threads used, at most, in a slice before the request, while nothing
    /// of it ran (summed over the processes): the idle the quiet window is compared with. <see langword="null"/> when
    /// not measured.
    /// </summary>
    public double? BaselineCpuCores { get; internal set; }

    /// <summary>
    /// Gets the largest share of every slice of that window during which one app thread was runnable (on a core or
    /// waiting for one): near 1 for a thread that never blocks. <see langword="null"/> when not measured.
    /// </summary>
    public double? QuietCpuBoundShare { get; internal set; }

    /// <summary>The fewest times that thread gave up its core to wait in a slice (0 for a loop).</summary>
    internal long? QuietCpuBusiestBlocks { get; set; }

    /// <summary>Gets what the rig saw that does not fail the verdict: detached work, connections kept, checks skipped.</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Gets what does not hold; empty when the verdict passed.</summary>
    public IReadOnlyList<string> Failures => _failures;

    /// <summary>Gets a value that tells whether the server recorded what the kind of abort demands.</summary>
    public bool Passed => _failures.Count == 0;

    /// <summary>Gets the files kept for a failed verdict: a Playwright trace and a screenshot.</summary>
    public IReadOnlyList<string> Artifacts => _artifacts;

    private readonly List<string> _failures = [];
    private readonly List<string> _artifacts = [];
    private readonly List<string> _notes = [];
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    internal void Fail(string failure)
    {
        if (!_failures.Contains(failure))
        {
            _failures.Add(failure);
        }
    }

    internal void Note(string note) => _notes.Add(note);

    /// <summary>Whether a record (a write, a log, a code run) is judged for the first time: a second look never repeats it.</summary>
    internal bool FirstReport(string key) => _reported.Add(key);

    internal void AddArtifact(string path) => _artifacts.Add(path);

    /// <summary>Throws an <see cref="AbortVerdictException"/> that names every failure when the verdict did not pass.</summary>
    /// <returns>This verdict, for chaining.</returns>
    public AbortVerdict EnsurePassed() => Passed ? this : throw new AbortVerdictException(this);

    /// <summary>Describes the verdict: kind, tag, latencies, failures and artifacts.</summary>
    /// <returns>A multi-line description.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Kind} {Url.PathAndQuery} ({Protocol ?? "nothing recorded"}): {(Passed ? "passed" : "FAILED")}, expected {Expectation}");
        text.Append(CultureInfo.InvariantCulture, $"; detection {Format(DetectionMs)}, last hop {Format(LastHopDetectionMs)}, work stopped {Format(WorkStoppedMs)}, socket closed {Format(ConnectionClosedMs)}");
        if (ConnectionKept is { } kept)
        {
            text.Append(kept ? ", connection kept" : ", connection gone");
        }

        if (BrowserState is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"; browser: {BrowserState}");
        }

        if (QuietCpuCores is { } cores)
        {
            text.Append(CultureInfo.InvariantCulture, $"; quiet CPU {cores:0.000} cores (idle before {BaselineCpuCores?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-"})");
            if (QuietCpuBoundShare is { } share)
            {
                text.Append(CultureInfo.InvariantCulture, $", busiest thread runnable {share:0.00}, blocked {QuietCpuBusiestBlocks ?? 0}+ times a slice");
            }
        }

        foreach (var failure in _failures)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  - {failure}");
        }

        foreach (var note in _notes)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  note: {note}");
        }

        foreach (var timeline in Timelines)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  {timeline.Hop} {timeline.Protocol} {timeline.Method} {timeline.Path}: reason {timeline.AbortReason?.ToString() ?? "none"}, status {timeline.StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}, completed {(timeline.CompletedAt is null ? "no" : "yes")}, connection closed {(timeline.ConnectionClosedAt is null ? "no" : "yes")}, zombie {timeline.Zombie}");
            foreach (var work in timeline.Work)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n    work '{work.Name}': {work.Outcome}{(work.EndedAt is null ? " (still running)" : string.Empty)}");
            }

            foreach (var work in timeline.DetachedWork)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n    detached work '{work.Name}': {work.Outcome}{(work.EndedAt is null ? " (still running)" : string.Empty)}");
            }

            foreach (var log in timeline.Logs)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n    log {log.Level} {log.Category}: {log.Message}");
            }

            foreach (var operation in timeline.OperationsAfterAbort)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n    after the abort: {operation.Name} ({operation.Source})");
            }
        }

        foreach (var artifact in _artifacts)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  artifact: {artifact}");
        }

        return text.ToString();
    }

    private static string Format(double? ms) => ms is { } value ? value.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-";
}
