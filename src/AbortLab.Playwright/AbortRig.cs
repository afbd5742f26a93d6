using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace AbortLab.Playwright;

/// <summary>
/// Drives a real Chromium through Playwright: fires one request of a given <see cref="AbortKind"/> at an app that uses
/// AbortLab, aborts it the way a browser does, and judges what the app's hops recorded through AbortLab's
/// diagnostics API (<c>/abortlab/api/requests?tag=</c>).
/// </summary>
/// <remarks>
/// Each abort gets a fresh browser context (its own profile and connections) and a blank page served by the rig
/// itself on the app's origin, so the request under test is the only one the app sees from it.
/// </remarks>
public sealed class AbortRig : IAsyncDisposable
{
    private const string RigPagePath = "/__abortlab-rig";

    /// <summary>The launch flags that work on a machine with no outside network, in a container running as root.</summary>
    internal static readonly string[] LaunchFlags =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        // The rig's page is fulfilled by Playwright, not loaded from the app, so Chromium cannot tell it came from a
        // loopback address and blocks its WebSockets to loopback as local network access
        // (net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS). A page the app served would not be blocked.
        "--disable-features=LocalNetworkAccessChecks",
    ];

    private static readonly Lazy<string> RigPageHtml = new(() =>
    {
        using var stream = typeof(AbortRig).Assembly.GetManifestResourceStream("AbortLab.Playwright.RigPage.html")
            ?? throw new InvalidOperationException("The rig page is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private readonly AbortRigOptions _options;
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly DiagnosticsReader _diagnostics;
    private readonly string? _executablePath;
    private readonly TimeProvider _time = TimeProvider.System;

    // The verdicts of aborts judged since the last sweep; bounded, the oldest dropped first.
    private readonly Queue<AbortVerdict> _judged = new();
    private const int MaxRemembered = 1000;

    private AbortRig(AbortRigOptions options, IPlaywright playwright, IBrowser browser, string? executablePath)
    {
        _options = options;
        _playwright = playwright;
        _browser = browser;
        _executablePath = executablePath;
        _diagnostics = new DiagnosticsReader(options);
    }

    /// <summary>Gets the Chromium executable in use, or <see langword="null"/> for Playwright's own installed browser.</summary>
    public string? ExecutablePath => _executablePath;

    /// <summary>Gets the browser's version.</summary>
    public string BrowserVersion => _browser.Version;

    /// <summary>
    /// Finds a Chromium (see <see cref="AbortRigOptions.ExecutablePath"/>) and launches it.
    /// </summary>
    /// <param name="options">Where the app is and how long to wait.</param>
    /// <returns>The running rig; dispose it to close the browser.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="BrowserNotFoundException">No Chromium was found.</exception>
    public static async Task<AbortRig> LaunchAsync(AbortRigOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        try
        {
            var executable = FindChromium(options, playwright);
            var browser = await LaunchBrowserAsync(playwright, options, executable, marker: null);
            return new AbortRig(options, playwright, browser, executable);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Fires one request, aborts it as <see cref="AbortRequest.Kind"/> says, and judges the server's records.
    /// </summary>
    /// <param name="request">What to fire.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The verdict; <see cref="AbortVerdict.Passed"/> tells whether the server did what the kind demands.</returns>
    public async Task<AbortVerdict> FireAsync(AbortRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var tag = request.Tag ?? $"rig-{request.Kind}-{Guid.NewGuid().ToString("N")[..12]}";
        var url = WithTag(new Uri(_options.BaseAddress!, request.Path), tag);
        var verdict = new AbortVerdict(request, tag, url, AbortKinds.Expectation(request.Kind));
        var deadline = request.Deadline ?? _options.Deadline;

        var marker = request.Kind == AbortKind.BrowserKilled ? Guid.NewGuid().ToString("N") : null;
        var browser = marker is null ? _browser : await LaunchBrowserAsync(_playwright, _options, _executablePath, marker);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = _options.IgnoreHttpsErrors });
        var tracing = _options.ArtifactsDirectory is not null && AbortKinds.CanTrace(request.Kind);
        IPage? page = null;
        try
        {
            if (tracing)
            {
                await context.Tracing.StartAsync(new TracingStartOptions { Screenshots = true, Snapshots = true, Title = tag });
            }

            page = await context.NewPageAsync();
            await OpenRigPageAsync(page);
            if (AbortKinds.IsUpload(request.Kind))
            {
                await ThrottleUploadsAsync(context, page);
            }

            if (request.Kind == AbortKind.EventSourceClose)
            {
                await TriggerOnEveryServerSentEventAsync(context, page);
            }

            if (request.Kind == AbortKind.RouteAbort)
            {
                await page.RouteAsync(url.ToString(), route => route.AbortAsync());
            }

            // What each process already runs, and how busy it is idle, before the request: whatever is new afterwards,
            // or busier than this, the request started.
            var baseline = Sensing(verdict) ? await SampleBaselineAsync(cancellationToken) : [];
            await page.EvaluateAsync(
                "([kind, url, options]) => abortLabRig.start(kind, url, options)",
                new object[] { AbortKinds.PageFunction(request.Kind), url.ToString(), PageOptions(request) });

            if (request.Kind == AbortKind.RouteAbort)
            {
                await WaitForPageAsync(page, "abortLabRig.state.settled");
                await ReadBrowserStateAsync(page, verdict);
                await Task.Delay(_options.QuietPeriod, cancellationToken);
                verdict.Timelines = await _diagnostics.GetTimelinesAsync(tag, cancellationToken);
                VerdictJudge.Judge(verdict, request, _options, _options.QuietPeriod, openConnections: null, _time.GetUtcNow());
                return verdict;
            }

            if (!AbortKinds.AbortsByItself(request.Kind))
            {
                await WaitForStartAsync(tag, request, cancellationToken);
                await page.EvaluateAsync("() => abortLabRig.trigger()");
            }

            await WaitForPageAsync(page, "abortLabRig.state.abortedAt !== null || abortLabRig.state.settled");
            await ReadBrowserStateAsync(page, verdict);
            if (verdict.BrowserAbortedAt is null)
            {
                verdict.Fail($"the browser never reached the point of the abort: {verdict.BrowserState}.");
            }

            switch (request.Kind)
            {
                case AbortKind.NavigationAway:
                case AbortKind.KeepaliveFetch:
                    await page.GotoAsync("about:blank");
                    break;
                case AbortKind.PageClose:
                    await page.CloseAsync();
                    break;
                case AbortKind.ContextClose:
                    await context.CloseAsync();
                    break;
                case AbortKind.BrowserKilled:
                    BrowserProcesses.KillAll(marker!);
                    break;
            }

            var timelines = await WaitForRecordsAsync(tag, request, verdict.BrowserAbortedAt ?? _time.GetUtcNow(), deadline, cancellationToken);
            verdict.Timelines = timelines;
            var open = timelines.Count > 0 && VerdictJudge.IsHttp2(timelines[0]) ? await _diagnostics.GetOpenConnectionIdsAsync(cancellationToken) : null;
            VerdictJudge.Judge(verdict, request, _options, deadline, open, _time.GetUtcNow());
            if (Sensing(verdict) && timelines.Count > 0)
            {
                await SenseProcessesAsync(verdict, baseline, cancellationToken);
            }

            await JudgeLateEffectsAsync(verdict, cancellationToken);
            Remember(verdict);
            return verdict;
        }
        catch (Exception exception) when (exception is AbortRigException or PlaywrightException or TimeoutException)
        {
            verdict.Fail(exception.Message);
            await AddServerRecordsAsync(verdict, tag, cancellationToken);
            return verdict;
        }
        finally
        {
            await KeepArtifactsAsync(verdict, context, page, tracing);
            await CloseQuietlyAsync(context, browser == _browser ? null : browser);
        }
    }

    /// <summary>
    /// Reads once more the records of every abort this rig judged since the last sweep, once the newest of them is
    /// <see cref="AbortRigOptions.LateEffectWindow"/> old, and fails the verdicts whose requests wrote, logged an error or
    /// ran code after they were judged: a side effect that lands seconds after the abort. <see cref="AbortRigFixture"/>
    /// sweeps when it is disposed; the <c>abortlab-rig</c> tool after its last cell.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The verdicts that failed in this sweep, each naming what came late.</returns>
    public async Task<IReadOnlyList<AbortVerdict>> SweepAsync(CancellationToken cancellationToken = default)
    {
        List<AbortVerdict> judged;
        lock (_judged)
        {
            judged = [.. _judged];
            _judged.Clear();
        }

        if (judged.Count == 0 || _options.LateEffectWindow <= TimeSpan.Zero)
        {
            return [];
        }

        var newest = judged.Max(v => v.JudgedAt);
        var wait = newest + _options.LateEffectWindow - _time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }

        var failed = new List<AbortVerdict>();
        foreach (var verdict in judged)
        {
            var before = verdict.Failures.Count;
            await JudgeLateEffectsAsync(verdict, cancellationToken);
            if (verdict.Failures.Count > before)
            {
                failed.Add(verdict);
            }
        }

        return failed;
    }

    /// <summary>A fresh context of the rig's browser, for tests that drive a page themselves (the dashboard's).</summary>
    internal Task<IBrowserContext> NewContextAsync() =>
        _browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = _options.IgnoreHttpsErrors });

    /// <summary>Closes the browser and Playwright's driver.</summary>
    /// <returns>A task that completes when both are gone.</returns>
    public async ValueTask DisposeAsync()
    {
        _diagnostics.Dispose();
        await _browser.CloseAsync();
        _playwright.Dispose();
    }

    private static string? FindChromium(AbortRigOptions options, IPlaywright playwright)
    {
        string? playwrightExecutable;
        try
        {
            playwrightExecutable = playwright.Chromium.ExecutablePath;
        }
        catch (PlaywrightException)
        {
            playwrightExecutable = null;
        }

        return ChromiumLocator.Find(options.ExecutablePath, playwrightExecutable, Environment.GetEnvironmentVariable, File.Exists);
    }

    private static Task<IBrowser> LaunchBrowserAsync(IPlaywright playwright, AbortRigOptions options, string? executable, string? marker) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = options.Headless,
            // The marker is a switch Chromium ignores; it lets the rig find this browser's processes to kill them.
            Args = marker is null ? LaunchFlags : [.. LaunchFlags, $"--abortlab-rig={marker}"],
        });

    private Uri WithTag(Uri url, string tag)
    {
        var builder = new UriBuilder(url);
        var parameter = $"{Uri.EscapeDataString(_options.TagQueryParameter)}={Uri.EscapeDataString(tag)}";
        builder.Query = string.IsNullOrEmpty(builder.Query) ? parameter : $"{builder.Query.TrimStart('?')}&{parameter}";
        return builder.Uri;
    }

    private Dictionary<string, object?> PageOptions(AbortRequest request) => new()
    {
        ["timeoutMs"] = _options.SignalTimeout.TotalMilliseconds,
        ["uploadBytes"] = _options.UploadBytes,
        ["uploadBytesPerSecond"] = _options.UploadBytesPerSecond,
        ["abortAtBytes"] = _options.UploadAbortAtBytes,
        ["method"] = request.Method,
        ["headers"] = request.Headers,
        ["body"] = request.Body,
    };

    private bool Sensing(AbortVerdict verdict) => _options.QuietWindow > TimeSpan.Zero && verdict.Expectation == AbortExpectation.Aborted;

    // EventSource delivers a named event only to a listener of that name, which the page cannot know.
    private static async Task TriggerOnEveryServerSentEventAsync(IBrowserContext context, IPage page)
    {
        var session = await context.NewCDPSessionAsync(page);
        await session.SendAsync("Network.enable");
        session.Event("Network.eventSourceMessageReceived").OnEvent += (_, _) =>
            _ = page.EvaluateAsync("() => abortLabRig.trigger()").ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
    }

    /// <summary>
    /// Watches each process for <see cref="AbortRigOptions.QuietWindow"/> once every hop's work stopped, and judges
    /// what the operating system saw: CPU still wanted, child processes and connections left behind.
    /// </summary>
    private async Task SenseProcessesAsync(AbortVerdict verdict, IReadOnlyList<IReadOnlyList<ProcessReading>> baselineSamples, CancellationToken cancellationToken)
    {
        var baseline = baselineSamples[^1];
        if (verdict.Timelines.Any(t => VerdictJudge.StoppedAt(t) is null))
        {
            verdict.Note("process checks skipped: the request's own work is still running, which the verdict already says.");
            return;
        }

        if (baseline.Any(s => !s.Supported))
        {
            verdict.Note("process checks skipped for the hosts that are not on Linux: their CPU, child processes and connections come from /proc.");
        }

        const int Attempts = 3;
        const int Slices = 5;
        IReadOnlyList<ProcessReading> end = baseline;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var samples = new List<IReadOnlyList<ProcessReading>> { await _diagnostics.GetProcessesAsync(cancellationToken) };
            for (var slice = 0; slice < Slices; slice++)
            {
                await Task.Delay(_options.QuietWindow / Slices, cancellationToken);
                samples.Add(await _diagnostics.GetProcessesAsync(cancellationToken));
            }

            end = samples[^1];
            var quiet = samples[0].All(s => end.FirstOrDefault(e => e.ProcessId == s.ProcessId) is { } e && e.LastRequestId == s.LastRequestId && e.ActiveRequests == 0);
            if (quiet)
            {
                verdict.QuietCpuCores = ProcessJudge.JudgeCpu(verdict, samples, _options.CpuThreshold, baselineSamples);
                break;
            }

            if (attempt == Attempts)
            {
                verdict.Note($"CPU not judged: other requests ran in each of {Attempts} quiet windows, so the CPU could not be laid at this request's door.");
            }
        }

        ProcessJudge.JudgeChildren(verdict, baseline, end);
        ProcessJudge.JudgeConnections(verdict, baseline, end, _diagnostics.OwnLocalPorts, _options.QuietWindow, _diagnostics.Addresses.Select(a => a.Port).ToHashSet());
    }

    /// <summary>
    /// Reads the request's records again, now that the rig's watch is over: what the request's code did since the
    /// verdict was first judged (a write, an error log, code still running) fails it too.
    /// </summary>
    private async Task JudgeLateEffectsAsync(AbortVerdict verdict, CancellationToken cancellationToken)
    {
        if (verdict.Expectation != AbortExpectation.Aborted || verdict.Timelines.Count == 0)
        {
            return;
        }

        var timelines = VerdictJudge.Order(await _diagnostics.GetTimelinesAsync(verdict.Tag, cancellationToken), verdict.ExpectedHops);
        if (timelines.Count == 0)
        {
            // Gone from the store's ring: nothing more can be said.
            return;
        }

        // Code of the request that kept coming back after its hop stopped is judged once the stop bound has passed:
        // short runs, each over in a moment, add up to work that never stopped.
        if (VerdictJudge.BoundStillAhead(verdict.Kind, timelines, _options.WorkStopBound, _time.GetUtcNow()) is { } ahead)
        {
            await Task.Delay(ahead, cancellationToken);
            timelines = VerdictJudge.Order(await _diagnostics.GetTimelinesAsync(verdict.Tag, cancellationToken), verdict.ExpectedHops);
        }

        verdict.Timelines = timelines;
        verdict.JudgedAt = _time.GetUtcNow();
        VerdictJudge.JudgeLateEffects(verdict, timelines, _options, verdict.JudgedAt);
    }

    private void Remember(AbortVerdict verdict)
    {
        if (verdict.Expectation != AbortExpectation.Aborted || verdict.Timelines.Count == 0)
        {
            return;
        }

        lock (_judged)
        {
            if (_judged.Count >= MaxRemembered)
            {
                _judged.Dequeue();
            }

            _judged.Enqueue(verdict);
        }
    }

    /// <summary>
    /// Samples each process as the quiet window will, before the request: how busy it is when nothing of the request
    /// runs, so that gentle work after the abort (a background service working on for a client that left) stands out.
    /// </summary>
    private async Task<IReadOnlyList<IReadOnlyList<ProcessReading>>> SampleBaselineAsync(CancellationToken cancellationToken)
    {
        const int Slices = 2;
        var samples = new List<IReadOnlyList<ProcessReading>> { await _diagnostics.GetProcessesAsync(cancellationToken) };
        for (var slice = 0; slice < Slices; slice++)
        {
            await Task.Delay(_options.QuietWindow / 5, cancellationToken);
            samples.Add(await _diagnostics.GetProcessesAsync(cancellationToken));
        }

        return samples;
    }

    // A failure the rig met on its way (a timeout, a page error) still shows what the server recorded.
    private async Task AddServerRecordsAsync(AbortVerdict verdict, string tag, CancellationToken cancellationToken)
    {
        if (verdict.Timelines.Count > 0)
        {
            return;
        }

        try
        {
            verdict.Timelines = await _diagnostics.GetTimelinesAsync(tag, cancellationToken);
            verdict.Fail(verdict.Timelines.Count == 0
                ? $"the server recorded nothing tagged '{tag}'."
                : $"the server recorded: {string.Join("; ", verdict.Timelines.Select(t => $"hop '{t.Hop}' {t.Method} {t.Path} status {t.StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "none yet"}, reason {t.AbortReason?.ToString() ?? "none"}, {t.Work.Count} tracked work"))}.");
        }
        catch (AbortRigException exception)
        {
            verdict.Note($"the server's records could not be read: {exception.Message}");
        }
    }

    // The page is served by the rig, not the app, and the route is removed before the request under test: Playwright
    // intercepts nothing while it runs.
    private async Task OpenRigPageAsync(IPage page)
    {
        var rigPage = new Uri(_options.BaseAddress!, RigPagePath).ToString();
        await page.RouteAsync(rigPage, route => route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/html; charset=utf-8", Body = RigPageHtml.Value }));
        await page.GotoAsync(rigPage);
        await page.UnrouteAsync(rigPage);
    }

    private async Task ThrottleUploadsAsync(IBrowserContext context, IPage page)
    {
        var session = await context.NewCDPSessionAsync(page);
        await session.SendAsync("Network.enable");
        await session.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false,
            ["latency"] = 0,
            ["downloadThroughput"] = -1,
            ["uploadThroughput"] = _options.UploadBytesPerSecond,
        });
    }

    private Task WaitForPageAsync(IPage page, string condition) =>
        page.WaitForFunctionAsync($"() => {condition}", null, new PageWaitForFunctionOptions { Timeout = (float)_options.StartTimeout.TotalMilliseconds, PollingInterval = 5 });

    private static async Task ReadBrowserStateAsync(IPage page, AbortVerdict verdict)
    {
        var state = await page.EvaluateAsync<JsonElement>("() => abortLabRig.state");
        if (state.GetProperty("abortedAt") is { ValueKind: JsonValueKind.Number } abortedAt)
        {
            verdict.BrowserAbortedAt = DateTimeOffset.UnixEpoch.AddTicks((long)(abortedAt.GetDouble() * TimeSpan.TicksPerMillisecond));
        }

        var detail = state.GetProperty("detail") is { ValueKind: JsonValueKind.String } d ? d.GetString() : null;
        var error = state.GetProperty("error") is { ValueKind: JsonValueKind.String } e ? e.GetString() : null;
        var result = state.GetProperty("result") is { ValueKind: not JsonValueKind.Null } r ? r.ToString() : null;
        verdict.BrowserState = string.Join(", ", new[] { detail, error is null ? null : $"error {error}", result is null ? null : $"result {result}" }.Where(s => s is not null));
        if (state.GetProperty("precondition") is { ValueKind: JsonValueKind.False })
        {
            verdict.Fail($"the browser did not abort at the point {verdict.Kind} names: {detail}. Choose an endpoint that fits the kind.");
        }

        if (verdict.Expectation == AbortExpectation.NeverReached && error is null)
        {
            verdict.Fail($"the browser got an answer ({result}) though the route was to abort the request.");
        }
    }

    /// <summary>
    /// Waits until the request reached the point where a triggered abort means something: tracked work running on
    /// every expected hop, or, for an endpoint that tracks nothing, its pipeline running on every hop with no new hop
    /// appearing for <see cref="AbortRigOptions.UntrackedStartDelay"/>. The pipeline counts as work.
    /// </summary>
    private async Task WaitForStartAsync(string tag, AbortRequest request, CancellationToken cancellationToken)
    {
        var until = _time.GetUtcNow() + _options.StartTimeout;
        IReadOnlyList<RequestTimeline> timelines;
        var hopsSeen = 0;
        var stableSince = _time.GetUtcNow();
        do
        {
            timelines = VerdictJudge.Order(await _diagnostics.GetTimelinesAsync(tag, cancellationToken), request.ExpectedHops);
            if (timelines.Count > 0 && timelines[0].CompletedAt is not null)
            {
                throw new AbortRigException(
                    $"hop '{timelines[0].Hop}' answered {timelines[0].StatusCode} before the abort could be fired: there was nothing left to abort. "
                    + "Point the rig at an endpoint that runs for longer (a slow query, a stream), or make the work slower in the test.");
            }

            // With the hops named, tracked work on each of them is the point; without, a proxy's own forwarding work
            // says nothing of the hops behind it, so the chain must also have stopped growing.
            if (request.ExpectedHops.Count > 0 && VerdictJudge.TrackedWorkStarted(timelines, request.ExpectedHops))
            {
                return;
            }

            // The chain grows by hops, not by calls: an endpoint that calls its backend again and again is settled.
            var hops = timelines.Select(t => t.Hop).Distinct(StringComparer.Ordinal).Count();
            if (hops != hopsSeen)
            {
                hopsSeen = hops;
                stableSince = _time.GetUtcNow();
            }
            else if (VerdictJudge.PipelinesStarted(timelines, request.ExpectedHops) && _time.GetUtcNow() - stableSince >= _options.UntrackedStartDelay)
            {
                return;
            }

            await Task.Delay(10, cancellationToken);
        }
        while (_time.GetUtcNow() < until);

        var seen = timelines.Count == 0 ? "nothing" : string.Join(", ", timelines.Select(t => $"hop '{t.Hop}' with {t.Work.Count} tracked work"));
        var hint = timelines.Count == 0
            ? " Nothing reached AbortLab: is app.UseAbortLab() in front of the endpoint, is the path right, and does the tag reach it (the rig adds it to the query string)?"
            : $" A hop listed in {nameof(AbortRequest.ExpectedHops)} never recorded the request: check its name (AbortLabOptions.HopName) and that the hop in front calls it with AddAbortPropagation().";
        throw new AbortRigException(
            $"the server's work for '{tag}' did not start within {_options.StartTimeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s "
            + $"(expected on {(request.ExpectedHops.Count == 0 ? "any hop" : string.Join(", ", request.ExpectedHops))}; recorded: {seen}).{hint}");
    }

    private async Task<IReadOnlyList<RequestTimeline>> WaitForRecordsAsync(string tag, AbortRequest request, DateTimeOffset abortedAt, TimeSpan deadline, CancellationToken cancellationToken)
    {
        IReadOnlyList<RequestTimeline> timelines;
        for (; ;)
        {
            timelines = VerdictJudge.Order(await _diagnostics.GetTimelinesAsync(tag, cancellationToken), request.ExpectedHops);
            var now = _time.GetUtcNow();
            if (VerdictJudge.IsSettled(request.Kind, timelines, request.ExpectedHops)
                || VerdictJudge.IsDecided(request.Kind, timelines, _options.WorkStopBound, now)
                || now > abortedAt + deadline)
            {
                return timelines;
            }

            await Task.Delay(10, cancellationToken);
        }
    }

    private async Task KeepArtifactsAsync(AbortVerdict verdict, IBrowserContext context, IPage? page, bool tracing)
    {
        if (_options.ArtifactsDirectory is not { } directory)
        {
            return;
        }

        try
        {
            if (!verdict.Passed)
            {
                Directory.CreateDirectory(directory);
            }

            if (!verdict.Passed && page is { IsClosed: false })
            {
                var screenshot = Path.GetFullPath(Path.Combine(directory, $"{verdict.Tag}.png"));
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });
                verdict.AddArtifact(screenshot);
            }

            if (tracing)
            {
                var trace = verdict.Passed ? null : Path.GetFullPath(Path.Combine(directory, $"{verdict.Tag}.trace.zip"));
                await context.Tracing.StopAsync(new TracingStopOptions { Path = trace });
                if (trace is not null)
                {
                    verdict.AddArtifact(trace);
                }
            }
        }
        catch (PlaywrightException exception)
        {
            verdict.Fail($"could not keep the artifacts: {exception.Message}");
        }
    }

    private static async Task CloseQuietlyAsync(IBrowserContext context, IBrowser? ownBrowser)
    {
        try
        {
            await context.CloseAsync();
            if (ownBrowser is not null)
            {
                await ownBrowser.CloseAsync();
            }
        }
        catch (PlaywrightException)
        {
            // Already gone: closed or killed by the abort itself.
        }
    }
}
