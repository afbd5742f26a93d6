using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using AbortLab.Testing;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Lab;

public sealed class LabScenarioTests(LabFixture lab, ITestOutputHelper output) : IClassFixture<LabFixture>
{
    public static TheoryData<string, bool> Scenarios()
    {
        var data = new TheoryData<string, bool>();
        foreach (var scenario in new[] { "slow", "stream", "sse", "cpu", "upload", "downstream", "process", "db" })
        {
            data.Add(scenario, false);
            data.Add(scenario, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Scenario_AbortedByTheClient_ShowsReasonWorkStopAndSocketClose(string scenario, bool throughEdge)
    {
        var tag = $"{scenario}-{(throughEdge ? "edge" : "direct")}-{Guid.NewGuid():N}";
        var target = throughEdge ? lab.Topology.EdgeHttp : lab.Topology.App;
        var workStarted = scenario == "downstream" ? WaitForBackendWorkAsync() : WaitForAppWorkAsync(tag);

        using var client = await RawHttpConnection.ConnectAsync(target.Port);
        if (scenario == "upload")
        {
            await client.SendAsync($"POST /lab/upload?readDelayMs=-1&abortlab-tag={tag} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 20971520\r\n\r\n");
            await client.SendAsync(new byte[4 * 1024 * 1024]).WaitAsync(KestrelTestHost.WaitTimeout);
        }
        else
        {
            await client.SendAsync($"GET /lab/{scenario}?ms=60000&abortlab-tag={tag} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        }

        await workStarted;
        client.CloseWithFin();

        var app = await WaitForAsync(tag, "app", t => t.CompletedAt is not null && t.ConnectionClosedAt is not null && t.AbortToWorkStoppedMs is not null);
        output.WriteLine($"{tag}: abort->work stopped {app.AbortToWorkStoppedMs} ms, abort->socket closed {app.AbortToConnectionClosedMs} ms");
        Assert.Equal(AbortReason.ClientDisconnected, app.AbortReason);
        Assert.Equal(499, app.StatusCode);
        Assert.All(app.Work, work => Assert.Equal(WorkOutcome.Canceled, work.Outcome));
        Assert.False(app.Zombie, System.Text.Json.JsonSerializer.Serialize(app));

        if (throughEdge)
        {
            var edge = await WaitForAsync(tag, "edge", t => t.CompletedAt is not null && t.ConnectionClosedAt is not null);
            Assert.Equal(AbortReason.ClientDisconnected, edge.AbortReason);
            Assert.Equal(edge.TraceId, app.TraceId);
        }

        if (scenario == "downstream")
        {
            var backend = await lab.Topology.Store.WaitForTimelineAsync(t => t.Hop == "backend" && t.TraceId == app.TraceId && t.CompletedAt is not null, KestrelTestHost.WaitTimeout);
            Assert.Equal(AbortReason.ClientDisconnected, backend.AbortReason);
            Assert.Equal(tag, backend.Tag);
        }

        // What the dashboard and the rig read: the HTTP API of the edge.
        using var http = new HttpClient { BaseAddress = lab.Topology.EdgeHttp };
        var listed = await http.GetFromJsonAsync<JsonElement>($"/abortlab/api/requests?tag={tag}&hop=app");
        var entry = Assert.Single(listed.GetProperty("requests").EnumerateArray());
        Assert.Equal("ClientDisconnected", entry.GetProperty("abortReason").GetString());
        Assert.Equal(JsonValueKind.Number, entry.GetProperty("abortToWorkStoppedMs").ValueKind);
        Assert.Equal(JsonValueKind.Number, entry.GetProperty("abortToConnectionClosedMs").ValueKind);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WebSocketScenario_ClosedByTheClient_StopsItsLoop(bool throughEdge)
    {
        var tag = $"ws-{(throughEdge ? "edge" : "direct")}-{Guid.NewGuid():N}";
        var target = throughEdge ? lab.Topology.EdgeHttp : lab.Topology.App;
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{target.Port}/lab/ws?abortlab-tag={tag}"), CancellationToken.None);
        var buffer = new byte[64];
        await socket.ReceiveAsync(buffer, CancellationToken.None);

        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);

        var app = await WaitForAsync(tag, "app", t => t.CompletedAt is not null && t.AbortToWorkStoppedMs is not null);
        Assert.Equal(AbortReason.ClientDisconnected, app.AbortReason);
        Assert.Equal(WorkOutcome.Canceled, app.Work.Single().Outcome);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task IgnoreScenario_IsFlaggedAsAZombie_AndItsSocketIsStillClosed(bool throughEdge)
    {
        var tag = $"ignore-{(throughEdge ? "edge" : "direct")}-{Guid.NewGuid():N}";
        var started = WaitForAppWorkAsync(tag);
        using var client = await RawHttpConnection.ConnectAsync((throughEdge ? lab.Topology.EdgeHttp : lab.Topology.App).Port);
        await client.SendAsync($"GET /lab/ignore?ms=2500&abortlab-tag={tag} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        await started;
        client.CloseWithFin();

        var app = await WaitForAsync(tag, "app", t => t.Zombie && t.ConnectionClosedAt is not null);
        Assert.Equal(AbortReason.ClientDisconnected, app.AbortReason);
        Assert.Null(app.AbortToWorkStoppedMs);
        var done = await WaitForAsync(tag, "app", t => t.CompletedAt is not null);
        Assert.True(done.AbortToWorkStoppedMs > 1000);
    }

    [Fact]
    public async Task EdgeHttps_SpeaksHttp2_AndAbortsReachTheApp()
    {
        var tag = $"h2-{Guid.NewGuid():N}";
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using var http = new HttpClient(handler) { BaseAddress = lab.Topology.EdgeHttps, DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var cancel = new CancellationTokenSource();
        var workStarted = WaitForAppWorkAsync(tag);

        // Through YARP the response headers travel with the first body byte, so the request is still waiting for
        // them: cancelling it makes HttpClient reset the HTTP/2 stream (RST_STREAM).
        var call = http.GetAsync($"/lab/slow?ms=60000&abortlab-tag={tag}", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        await workStarted;
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        var edge = await WaitForAsync(tag, "edge", t => t.CompletedAt is not null);
        Assert.Equal("HTTP/2", edge.Protocol);
        Assert.Equal(AbortReason.ClientDisconnected, edge.AbortReason);
        Assert.Null(edge.ConnectionClosedAt);
        var app = await WaitForAsync(tag, "app", t => t.CompletedAt is not null);
        Assert.Equal(AbortReason.ClientDisconnected, app.AbortReason);
    }

    [Theory]
    [InlineData("/lab/slow?ms=abc")]
    [InlineData("/lab/cpu?ms=-5")]
    [InlineData("/lab/upload?readDelayMs=x")]
    public async Task BadParameter_Gets400WithProblemDetails(string path)
    {
        using var http = new HttpClient { BaseAddress = lab.Topology.EdgeHttp };
        using var request = new HttpRequestMessage(path.StartsWith("/lab/upload", StringComparison.Ordinal) ? HttpMethod.Post : HttpMethod.Get, path);

        using var response = await http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private async Task WaitForAppWorkAsync(string tag)
    {
        using var cancellation = new CancellationTokenSource(KestrelTestHost.WaitTimeout);
        await foreach (var e in lab.Topology.Store.ReadEventsAsync(0, cancellation.Token))
        {
            if (e.Kind == TimelineEventKind.WorkStarted && e.Hop == "app" && lab.Topology.Store.Find(e.RequestId)?.Tag == tag)
            {
                return;
            }
        }
    }

    // The backend's work has no tag of its own: the first backend work after this point is this test's (tests in a
    // class run one at a time).
    private async Task WaitForBackendWorkAsync()
    {
        var after = lab.Topology.Store.LastSequence;
        using var cancellation = new CancellationTokenSource(KestrelTestHost.WaitTimeout);
        await foreach (var e in lab.Topology.Store.ReadEventsAsync(after, cancellation.Token))
        {
            if (e.Kind == TimelineEventKind.WorkStarted && e.Hop == "backend")
            {
                return;
            }
        }
    }

    private Task<RequestTimeline> WaitForAsync(string tag, string hop, Func<RequestTimeline, bool> predicate) =>
        lab.Topology.Store.WaitForTimelineAsync(t => t.Tag == tag && t.Hop == hop && predicate(t), KestrelTestHost.WaitTimeout);
}
