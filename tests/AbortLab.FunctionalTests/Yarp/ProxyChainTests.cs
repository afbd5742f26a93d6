using System.Net;
using System.Net.Sockets;
using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace AbortLab.FunctionalTests.Yarp;

public sealed class ProxyChainTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientAbortAtTheEdge_StopsTheBackendsWork_WithOneTraceIdAcrossHops(bool http2Upstreams)
    {
        await using var chain = await ProxyChain.StartAsync(http2Upstreams);
        using var client = await RawHttpConnection.ConnectAsync(chain.Proxy.Port);
        await client.SendAsync("GET /downstream HTTP/1.1\r\nHost: test\r\nAbortLab-Tag: chain\r\n\r\n");
        var backendId = await chain.BackendStarted.WaitAsync();

        client.CloseWithFin();

        var backend = await chain.Backend.WaitForTimelineAsync(t => t.Id == backendId && t.CompletedAt is not null);
        var app = await chain.App.WaitForTimelineAsync(t => t.Path == "/downstream" && t.CompletedAt is not null);
        var proxy = await chain.Proxy.WaitForTimelineAsync(t => t.Tag == "chain" && t.CompletedAt is not null);
        output.WriteLine($"edge abort {proxy.AbortedAt:HH:mm:ss.ffffff}, app {app.AbortedAt:HH:mm:ss.ffffff}, backend {backend.AbortedAt:HH:mm:ss.ffffff}; backend work stopped {backend.AbortToWorkStoppedMs} ms after its abort");

        Assert.Equal(AbortReason.ClientDisconnected, proxy.AbortReason);
        Assert.Equal(499, proxy.StatusCode);
        var forward = Assert.Single(proxy.Work);
        Assert.Equal(WorkOutcome.Canceled, forward.Outcome);
        Assert.Equal("RequestCanceled", forward.Error);

        Assert.Equal(AbortReason.ClientDisconnected, app.AbortReason);
        Assert.Equal(WorkOutcome.Canceled, app.Work.Single().Outcome);
        Assert.Equal(AbortReason.ClientDisconnected, backend.AbortReason);
        Assert.Equal(WorkOutcome.Canceled, backend.Work.Single().Outcome);
        Assert.NotNull(backend.AbortToWorkStoppedMs);

        Assert.Equal(proxy.TraceId, app.TraceId);
        Assert.Equal(proxy.TraceId, backend.TraceId);

        if (http2Upstreams)
        {
            // Stream reset, connection kept: the next request through the proxy runs on the same upstream connection.
            Assert.Equal("HTTP/2", app.Protocol);
            using var http = new HttpClient { BaseAddress = chain.Proxy.BaseAddress };
            using var response = await http.GetAsync("/dies-mid-response", HttpCompletionOption.ResponseHeadersRead);
            var next = await chain.App.WaitForTimelineAsync(t => t.Path == "/dies-mid-response");
            chain.KillResponse.Set();
            Assert.Equal(app.ConnectionId, next.ConnectionId);
            Assert.Null(chain.App.Store.Find(app.Id)!.ConnectionClosedAt);
        }
        else
        {
            // The upstream connection of the aborted request was closed.
            Assert.NotNull((await chain.App.WaitForTimelineAsync(t => t.Id == app.Id && t.ConnectionClosedAt is not null)).ConnectionClosedAt);
        }
    }

    [Fact]
    public async Task RouteTimeoutThroughTheProxy_Answers504_AndCancelsTheUpstream()
    {
        await using var chain = await ProxyChain.StartAsync(http2Upstreams: false, routeTimeout: TimeSpan.FromSeconds(1));

        // A cold chain (JIT, first connections) under a loaded CI machine can take longer than the route timeout to
        // reach the backend; the test needs the timeout to fire while the backend is waiting, not before it started.
        // The warm-up itself runs under that timeout, so it is tried until the chain answers in time (seen: a cold
        // first call took over a second here); each attempt warms more of it.
        using (var warm = new HttpClient { BaseAddress = chain.Proxy.BaseAddress })
        {
            var answers = new List<HttpStatusCode>();
            for (var attempt = 0; attempt < 10 && answers.LastOrDefault() != HttpStatusCode.OK; attempt++)
            {
                using var response = await warm.GetAsync("/ready-downstream");
                answers.Add(response.StatusCode);
            }

            Assert.True(answers[^1] == HttpStatusCode.OK, $"the chain never answered within its route timeout: {string.Join(", ", answers)}");
        }

        using var client = await RawHttpConnection.ConnectAsync(chain.Proxy.Port);
        await client.SendAsync("GET /downstream HTTP/1.1\r\nHost: test\r\nAbortLab-Tag: timeout\r\n\r\n");

        var head = await client.ReadHeadAsync();
        var backendId = await chain.BackendStarted.WaitAsync();

        Assert.Equal(504, head.StatusCode);
        var proxy = await chain.Proxy.WaitForTimelineAsync(t => t.Tag == "timeout" && t.CompletedAt is not null);
        Assert.Equal(AbortReason.Timeout, proxy.AbortReason);
        Assert.Equal(504, proxy.StatusCode);
        Assert.Equal("RequestCanceled", proxy.Work.Single().Error);
        var backend = await chain.Backend.WaitForTimelineAsync(t => t.Id == backendId && t.CompletedAt is not null);
        Assert.Equal(AbortReason.ClientDisconnected, backend.AbortReason);
    }

    [Fact]
    public async Task UpstreamDown_Answers502_AsUpstreamCanceled()
    {
        int closedPort;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var proxy = await ProxyChain.StartProxyAsync(new Uri($"http://127.0.0.1:{closedPort}"), http2Upstream: false);
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/anything");
        request.Headers.Add("AbortLab-Tag", "down");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var timeline = await proxy.WaitForTimelineAsync(t => t.Tag == "down" && t.CompletedAt is not null);
        Assert.Equal(AbortReason.UpstreamCanceled, timeline.AbortReason);
        Assert.Equal(502, timeline.StatusCode);
        var forward = Assert.Single(timeline.Work);
        Assert.Equal(WorkOutcome.Faulted, forward.Outcome);
        Assert.Equal("Request", forward.Error);
    }

    [Fact]
    public async Task AClientHeaderOutsideAscii_Answers400ProblemDetails_NotForwarded()
    {
        await using var chain = await ProxyChain.StartAsync(http2Upstreams: false);
        using var client = await RawHttpConnection.ConnectAsync(chain.Proxy.Port);

        // Kestrel accepts the UTF-8 value; the proxy's outgoing client would refuse it (YARP: 502, "Request").
        await client.SendAsync(System.Text.Encoding.UTF8.GetBytes("GET /downstream HTTP/1.1\r\nHost: proxy\r\nAbortLab-Tag: utf8-header\r\nX-Customer: Zoë Ångström\r\n\r\n"));
        var head = await client.ReadHeadAsync().WaitAsync(KestrelTestHost.WaitTimeout);

        Assert.Equal(400, head.StatusCode);
        Assert.StartsWith("application/problem+json", head.Headers["Content-Type"], StringComparison.Ordinal);
        var timeline = await chain.Proxy.WaitForTimelineAsync(t => t.Tag == "utf8-header" && t.CompletedAt is not null);
        Assert.Equal(400, timeline.StatusCode);
        Assert.Null(timeline.AbortReason);
        Assert.Empty(timeline.Work);
        Assert.DoesNotContain(chain.App.Store.GetRecent(new AbortLab.Timelines.TimelineQuery { Limit = 100 }), t => t.Tag == "utf8-header");
    }

    [Fact]
    public async Task UpstreamDyingMidResponse_IsToldApartFromTheClientLeaving()
    {
        await using var chain = await ProxyChain.StartAsync(http2Upstreams: false);
        using var client = await RawHttpConnection.ConnectAsync(chain.Proxy.Port);
        await client.SendAsync("GET /dies-mid-response HTTP/1.1\r\nHost: test\r\nAbortLab-Tag: dies\r\n\r\n");
        var head = await client.ReadHeadAsync();
        Assert.Equal(200, head.StatusCode);
        await client.ReadBodyAsync(1);

        chain.KillResponse.Set();
        await client.ReadAllUntilClosedAsync().WaitAsync(KestrelTestHost.WaitTimeout);

        var proxy = await chain.Proxy.WaitForTimelineAsync(t => t.Tag == "dies" && t.CompletedAt is not null);
        Assert.Equal(AbortReason.UpstreamCanceled, proxy.AbortReason);
        Assert.Equal("ResponseBodyDestination", proxy.Work.Single().Error);
    }
    [Fact]
    public async Task AnUpstreamResponseLeftUnread_ClosesItsConnection_InsteadOfDrainingIt()
    {
        // YARP disposes the upstream body unread when its client left during a write; drained, the upstream would
        // keep streaming for a client that is gone, and only the pool would notice.
        var finish = new Signal();
        await using var app = await KestrelTestHost.StartAsync(
            endpoints =>
            {
                endpoints.UseAbortLab();
                endpoints.MapGet("/partial", async (HttpContext context) =>
                {
                    await context.Response.WriteAsync("partial");
                    await context.Response.Body.FlushAsync();
                    await finish.WaitAsync();
                    await context.Response.WriteAsync(" and the rest");
                });
                endpoints.MapGet("/next", () => "next");
            },
            options => options.HopName = "app");
        await using var proxy = await ProxyChain.StartProxyAsync(app.BaseAddress, http2Upstream: false);
        using var invoker = proxy.Services.GetRequiredService<IForwarderHttpClientFactory>().CreateClient(new ForwarderHttpClientContext { NewConfig = HttpClientConfig.Empty });

        using (var response = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(app.BaseAddress, "/partial")), CancellationToken.None))
        {
            var body = await response.Content.ReadAsStreamAsync();
            Assert.True(await body.ReadAsync(new byte[7]) > 0);
        }

        finish.Set();
        var first = await app.WaitForTimelineAsync(t => t.Path == "/partial" && t.CompletedAt is not null);
        using var next = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(app.BaseAddress, "/next")), CancellationToken.None);
        var second = await app.WaitForTimelineAsync(t => t.Path == "/next" && t.CompletedAt is not null);

        Assert.NotEqual(first.ConnectionId, second.ConnectionId);
    }
}
