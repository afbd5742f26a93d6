using System.Text;
using AbortLab.Testing;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Lab.Outside;

/// <summary>
/// The lab as an attacker finds it: a page on a rebinding name (same-origin with itself, so it sets any header without a
/// preflight) reaches none of the endpoints that change something or run work, on any hop; hostile requests get a 4xx,
/// never a 5xx; and nothing of it logs an Error.
/// </summary>
public sealed class LabHostileClientsFromOutsideTests(ITestOutputHelper output)
{
    // Every endpoint that changes state or starts work, with the request that would do it.
    private static readonly (string Hop, string Method, string Target, string? Body)[] StateChanging =
    [
        ("edge", "POST", "/lab-admin/restart-app", null),
        ("edge", "POST", "/lab/order?commitDelayMs=0", "{\"item\":\"rebound\"}"),
        ("edge", "POST", "/lab/upload", "x"),
        ("edge", "GET", "/lab/process?ms=10", null),
        ("edge", "GET", "/lab/db?ms=10", null),
        ("edge", "GET", "/lab/downstream?ms=10", null),
        ("app", "POST", "/lab/order?commitDelayMs=0", "{\"item\":\"rebound\"}"),
        ("app", "GET", "/lab/process?ms=10", null),
        ("app", "GET", "/lab/cpu?ms=10", null),
        ("backend", "GET", "/lab/slow?ms=10", null),
        ("edge", "GET", "/abortlab/api/requests", null),
        ("app", "GET", "/abortlab/api/process", null),
    ];

    [Fact]
    public async Task ARebindingHost_ReachesNoEndpointOnAnyHop_AndNothingRuns()
    {
        await using var lab = await OutsideLab.StartAsync(output);
        foreach (var host in new[] { "127.0.0.1.nip.io", "localhost.attacker.example", "attacker.example" })
        {
            foreach (var (hop, method, target, body) in StateChanging)
            {
                var port = Port(lab, hop);
                var authority = $"{host}:{port}";
                using var client = await RawHttpConnection.ConnectAsync(port);
                var content = body ?? string.Empty;
                var type = body is null ? string.Empty : "Content-Type: application/json\r\n";
                await client.SendAsync($"{method} {target} HTTP/1.1\r\nHost: {authority}\r\nOrigin: http://{authority}\r\nX-AbortLab-Admin: restart\r\nIdempotency-Key: rebound-{Guid.NewGuid():N}\r\n{type}Content-Length: {Encoding.UTF8.GetByteCount(content)}\r\n\r\n{content}");
                var head = await client.ReadHeadAsync().WaitAsync(KestrelTestHost.WaitTimeout);
                Assert.True(head.StatusCode is 400 or 403 or 404, $"{method} {target} on the {hop} with Host {authority}: {head.StatusCode}");
            }
        }

        // Nothing ran: no timeline on any hop (refused before AbortLab), no order, no restart.
        using var http = new HttpClient { BaseAddress = lab.Edge };
        var requests = await http.GetStringAsync("/abortlab/api/requests?limit=500");
        output.WriteLine(requests);
        Assert.DoesNotContain("\"path\"", requests, StringComparison.Ordinal);
        Assert.Empty(await LabOrders.RowsPerKeyAsync(lab.OpenDatabase()));
        Assert.DoesNotContain(lab.Lines, line => line.Contains("Shutdown of app", StringComparison.Ordinal));
        Assert.Empty(lab.ErrorEntries());
    }

    public static TheoryData<string, string> HostileRequests() => new()
    {
        { "non-ASCII header value", "GET /lab/slow?ms=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Name: Zoë\r\n\r\n" },
        { "header too large", $"GET /lab/slow?ms=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {new string('a', 40_000)}\r\n\r\n" },
        { "too many headers", $"GET /lab/slow?ms=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n{string.Concat(Enumerable.Range(0, 200).Select(i => $"X-H{i}: v\r\n"))}\r\n" },
        { "URL too long", $"GET /lab/slow?ms=1&x={new string('a', 20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" },
        { "no Host", "GET /lab/slow?ms=1 HTTP/1.1\r\n\r\n" },
        { "two Hosts", "GET /lab/slow?ms=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n\r\n" },
        { "negative Content-Length", "POST /lab/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n" },
        { "two Content-Lengths", "POST /lab/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx" },
        { "unknown transfer coding", "POST /lab/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\n" },
        { "bad chunk size", "POST /lab/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n" },
        { "bare LF in a header", "GET /lab/slow?ms=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Evil: a\nb\r\n\r\n" },
        { "scenario parameter out of range", "GET /lab/slow?ms=-5 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" },
        { "scenario parameter not a number", "GET /lab/cpu?ms=abc HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" },
        { "order that is not JSON", "POST /lab/order HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{oops" },
        { "Idempotency-Key too long", $"POST /lab/order HTTP/1.1\r\nHost: 127.0.0.1\r\nIdempotency-Key: {new string('k', 400)}\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{{\"item\":\"x\"}}" },
        { "body shorter than its Content-Length, then silence", "POST /lab/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789" },
        { "diagnostics filter with control characters", "GET /abortlab/api/requests?tag=%01%02 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" },
        { "unknown method on an order", "DELETE /lab/order HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(HostileRequests))]
    public async Task AHostileRequest_GetsA4xx_OnEveryHopItReaches_AndNoErrorIsLogged(string what, string request)
    {
        await using var lab = await OutsideLab.StartAsync(output);
        foreach (var port in new[] { lab.Edge.Port, lab.App.Port })
        {
            using var client = await RawHttpConnection.ConnectAsync(port);
            await client.SendAsync(Encoding.UTF8.GetBytes(request));
            var head = await client.ReadHeadAsync().WaitAsync(KestrelTestHost.WaitTimeout);
            output.WriteLine($"{what} on port {port}: {head.StatusCode}");

            // Kestrel takes a UTF-8 header value: the app may serve it, but the edge cannot forward it.
            if (what.StartsWith("non-ASCII", StringComparison.Ordinal) && port == lab.App.Port)
            {
                Assert.InRange(head.StatusCode, 200, 499);
            }
            else
            {
                Assert.InRange(head.StatusCode, 400, 498);
            }
        }

        Assert.Empty(lab.ErrorEntries());
    }

    private static int Port(OutsideLab lab, string hop) => hop switch
    {
        "edge" => lab.Edge.Port,
        "app" => lab.App.Port,
        _ => lab.Backend.Port,
    };
}
