using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using AbortLab.Diagnostics;
using AbortLab.Hosting;
using AbortLab.Testing;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AbortLab.FunctionalTests.Diagnostics;

/// <summary>
/// The diagnostics as a hostile operator or a web page would try them, on real Kestrel: every bypass is refused,
/// every bad input answers a 4xx problem, and the event stream cannot be made to hold the host's memory.
/// </summary>
public sealed class DiagnosticsSafetyTests
{
    public static TheoryData<string, string?> Bypasses => new()
    {
        { "X-Forwarded-For", "203.0.113.7" },
        { "Forwarded", "for=203.0.113.7" },
        { "X-Real-IP", "203.0.113.7" },
        { "X-Forwarded-Host", "abortlab.example" },
        { "True-Client-IP", "203.0.113.7" },
        { "Via", "1.1 nginx" },
        { "Host", "attacker.example" },
        { "Host", "127.0.0.1.nip.io" },
    };

    [Theory]
    [MemberData(nameof(Bypasses))]
    public async Task ARequestThroughASameHostProxy_OrWithAForeignHost_IsRefusedWith404(string header, string? value)
    {
        await using var host = await StartAsync();
        foreach (var path in Paths)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(host.BaseAddress, path));
            if (header == "Host")
            {
                request.Headers.Host = value;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(header, value);
            }

            using var http = new HttpClient();
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("AbortLab", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("loopback", body, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Name == "DiagnosticsRefused");
    }

    [Fact]
    public async Task ForwardedHeadersConsumedByTheApp_AreJudgedOnTheForwardedClient()
    {
        await using var host = await KestrelTestHost.StartAsync(
            app =>
            {
                app.UseForwardedHeaders();
                app.UseAbortLab();
                app.MapAbortLab();
            },
            configureServices: services => services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.XForwardedFor));
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var local = await SendAsync(http, "/abortlab/api/requests", ("X-Forwarded-For", "127.0.0.1"));
        using var remote = await SendAsync(http, "/abortlab/api/requests", ("X-Forwarded-For", "203.0.113.7"));

        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, remote.StatusCode);
    }

    [Fact]
    public async Task EveryAnswer_CarriesAStrictPolicy_AndTheApiIsNeverStored()
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        foreach (var path in new[] { "/abortlab/", "/abortlab/dashboard.js", "/abortlab/api/requests", "/abortlab/api/requests/999", "/abortlab/api/process" })
        {
            using var response = await http.GetAsync(path);
            var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            if (path.Contains("/api/", StringComparison.Ordinal))
            {
                Assert.True(response.Headers.CacheControl?.NoStore, path);
            }
        }

        // The dashboard itself needs nothing the policy forbids: no inline script, no style attribute.
        var page = await http.GetStringAsync("/abortlab/");
        Assert.DoesNotContain("style=", page, StringComparison.Ordinal);
        Assert.Matches("<script src=\"[^\"]+\"></script>", page);
        Assert.DoesNotContain("style=", await http.GetStringAsync("/abortlab/dashboard.js"), StringComparison.Ordinal);
    }

    public static TheoryData<string, string?> HostileInputs => new()
    {
        { "/abortlab/api/requests?limit=-1", null },
        { "/abortlab/api/requests?limit=99999999999999999999", null },
        { "/abortlab/api/requests?limit=1e3", null },
        { "/abortlab/api/requests?limit=", null },
        { "/abortlab/api/requests?tag=" + new string('x', 8000), null },
        { "/abortlab/api/requests?hop=%00%ff", null },
        { "/abortlab/api/requests/abc", null },
        { "/abortlab/api/requests/-1", null },
        { "/abortlab/api/requests/0", null },
        { "/abortlab/api/requests/99999999999999999999999", null },
        { "/abortlab/api/requests/%2e%2e%2fetc%2fpasswd", null },
        { "/abortlab/..%2f..%2fappsettings.json", null },
        { "/abortlab/index.exe", null },
        { "/abortlab/missing.js", null },
        { "/abortlab/api/shutdown", null },
        { "/abortlab/api/stream", "9223372036854775807" },
        { "/abortlab/api/stream", "-1" },
        { "/abortlab/api/stream", "abc" },
        { "/abortlab/api/stream", "00000000-9223372036854775807" },
        { "/abortlab/api/stream", "-" },
        { "/abortlab/api/stream?lastEventId=%ff%fe", null },
    };

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public async Task AHostileInput_AnswersAProblemOrAResync_NeverA5xx(string path, string? lastEventId)
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        await http.GetAsync("/ok");

        if (path.StartsWith("/abortlab/api/stream", StringComparison.Ordinal))
        {
            // An id this store never gave is told so, then the stream goes on near now.
            await using var stream = await SseReader.OpenAsync(http, path, lastEventId);
            var first = (await stream.ReadAsync(2))[0];
            Assert.Equal("resync", first.Event);
            Assert.Equal(Store(host).Epoch, first.Epoch);
        }
        else
        {
            using var response = await http.GetAsync(path);
            Assert.InRange((int)response.StatusCode, 400, 499);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task AnIdFromAnEarlierProcess_OrAheadOfTheSequence_GetsAResync_ThenTheLiveEvents()
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        await http.GetAsync("/ok");
        var epoch = Store(host).Epoch;

        await using var stale = await SseReader.OpenAsync(http, "/abortlab/api/stream", "0badc0de-2");
        await using var ahead = await SseReader.OpenAsync(http, "/abortlab/api/stream", $"{epoch}-{Store(host).LastSequence + 50}");
        var staleResync = (await stale.ReadAsync(1))[0];
        var aheadResync = (await ahead.ReadAsync(1))[0];
        await http.GetAsync("/ok?abortlab-tag=after-resync");

        Assert.Equal("resync", staleResync.Event);
        Assert.Equal("unknown-epoch", JsonDocument.Parse(staleResync.Data).RootElement.GetProperty("reason").GetString());
        Assert.Equal("ahead", JsonDocument.Parse(aheadResync.Data).RootElement.GetProperty("reason").GetString());
        var live = await stale.ReadUntilAsync(m => m.Data.Contains("after-resync", StringComparison.Ordinal));
        Assert.Equal(epoch, live.Epoch);
    }

    [Fact]
    public async Task ANewSubscriber_StartsNearNow_NotAtTheRingsStart()
    {
        await using var host = await StartAsync(options => options.Diagnostics.StreamBacklog = 3);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        for (var i = 0; i < 10; i++)
        {
            await http.GetAsync("/ok");
        }

        var last = Store(host).LastSequence;
        await using var stream = await SseReader.OpenAsync(http, "/abortlab/api/stream", null);

        Assert.Equal([last - 2, last - 1, last], (await stream.ReadAsync(3)).Select(m => m.Sequence));
    }

    [Fact]
    public async Task ASubscriberThatStopsReading_IsToldToResync_AndCut_WithoutHoldingTheEvents()
    {
        await using var host = await StartAsync(options =>
        {
            options.Diagnostics.StreamMaxLagEvents = 200;
            options.Diagnostics.StreamMaxBufferedBytes = 8 * 1024;
        });
        using var cuts = host.CollectMetric<long>("abortlab.diagnostics.stream.cut");
        using var subscriber = await RawHttpConnection.ConnectAsync(host.Port);
        subscriber.Socket.ReceiveBufferSize = 4096;
        await subscriber.SendAsync("GET /abortlab/api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        Assert.Equal(200, (await subscriber.ReadHeadAsync()).StatusCode);

        // The subscriber reads nothing more while the server records far more than it may fall behind by.
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var cut = host.WaitForLogAsync(r => r.Id.Name == "StreamSubscriberCut");
        var tag = new string('t', 1000);
        for (var i = 0; i < 20_000 && !cut.IsCompleted; i++)
        {
            await http.GetAsync("/ok?abortlab-tag=" + tag);
        }

        await cut;
        var rest = await subscriber.ReadAllUntilClosedAsync().WaitAsync(KestrelTestHost.WaitTimeout);
        Assert.Equal(1, cuts.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(0, host.Services.GetRequiredService<DiagnosticsEventStream>().Subscribers);
        Assert.True(rest.Length > 0);
    }

    [Fact]
    public async Task BeyondTheSubscriberLimit_A503ProblemWithRetryAfter()
    {
        await using var host = await StartAsync(options => options.Diagnostics.MaxStreamSubscribers = 1);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        await using var first = await SseReader.OpenAsync(http, "/abortlab/api/stream", null);

        using var second = await http.GetAsync("/abortlab/api/stream", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(5), second.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task QueryValues_AndBareKeys_AreRedacted_ExceptTheAllowedOnes()
    {
        await using var host = await StartAsync(options => options.QueryParametersShownInClear.Add("ms"));
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        await http.GetAsync("/ok?SECRET-x&ms=250&token=abc&&flag");

        var timeline = await host.WaitForTimelineAsync(t => t.Path.StartsWith("/ok", StringComparison.Ordinal) && t.CompletedAt is not null);
        Assert.Equal("/ok?***&ms=250&token=***&***", timeline.Path);
    }

    private static readonly string[] Paths = ["/abortlab/", "/abortlab/api/requests", "/abortlab/api/stream", "/abortlab/api/process", "/abortlab/api/sockets", "/abortlab/api/connections"];

    private static TimelineStore Store(KestrelTestHost host) => host.Services.GetRequiredService<TimelineStore>();

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, (string Name, string Value) header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static Task<KestrelTestHost> StartAsync(Action<AbortLabOptions>? configure = null) => KestrelTestHost.StartAsync(
        app =>
        {
            app.UseAbortLab();
            app.MapGet("/ok", () => Results.Text("ok"));
            app.MapAbortLab();
        },
        configure);
}
