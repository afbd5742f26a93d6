using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AbortLab.Testing;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AbortLab.FunctionalTests.Diagnostics;

public sealed class DiagnosticsApiTests
{
    private const string Timestamp = @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$";

    private readonly Signal<string> _started = new();

    [Fact]
    public async Task Requests_ListsTimelinesNewestFirst_WithTheContractsFields_AndFilters()
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        await http.GetAsync("/ok?abortlab-tag=a&secret=1");
        await http.GetAsync("/ok?abortlab-tag=b");
        await http.GetAsync("/ok?abortlab-tag=a");
        await AbortOneAsync(host, "aborted");

        using var all = await GetJsonAsync(http, "/abortlab/api/requests");
        var requests = all.RootElement.GetProperty("requests");
        Assert.Equal(4, requests.GetArrayLength());
        var newest = requests[0];
        Assert.Equal("aborted", newest.GetProperty("tag").GetString());
        foreach (var field in new[] { "id", "traceId", "hop", "tag", "method", "path", "protocol", "connectionId", "startedAt", "abortedAt", "abortReason", "completedAt", "statusCode", "connectionClosedAt", "work", "abortToWorkStoppedMs", "abortToConnectionClosedMs", "zombie" })
        {
            Assert.True(newest.TryGetProperty(field, out _), $"missing field {field}");
        }

        Assert.Equal("ClientDisconnected", newest.GetProperty("abortReason").GetString());
        Assert.Equal(499, newest.GetProperty("statusCode").GetInt32());
        Assert.Matches(Timestamp, newest.GetProperty("startedAt").GetString());
        Assert.Matches(Timestamp, newest.GetProperty("abortedAt").GetString());
        var work = newest.GetProperty("work")[0];
        Assert.Equal("Canceled", work.GetProperty("outcome").GetString());
        Assert.Matches(Timestamp, work.GetProperty("endedAt").GetString());

        using var tagged = await GetJsonAsync(http, "/abortlab/api/requests?tag=a&limit=1");
        var one = Assert.Single(tagged.RootElement.GetProperty("requests").EnumerateArray());
        Assert.Equal("/ok?abortlab-tag=***", one.GetProperty("path").GetString());
        using var otherHop = await GetJsonAsync(http, "/abortlab/api/requests?hop=elsewhere");
        Assert.Empty(otherHop.RootElement.GetProperty("requests").EnumerateArray());
        using var secretRedacted = await GetJsonAsync(http, "/abortlab/api/requests?tag=a&limit=2");
        Assert.Equal("/ok?abortlab-tag=***&secret=***", secretRedacted.RootElement.GetProperty("requests")[1].GetProperty("path").GetString());
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=10001")]
    [InlineData("limit=abc")]
    public async Task Requests_WithABadLimit_AnswersAProblem(string query)
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var response = await http.GetAsync($"/abortlab/api/requests?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("limit", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_ById_AnswersItOr404()
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        await http.GetAsync("/ok?abortlab-tag=find-me");
        var id = host.Store.GetRecent(new TimelineQuery { Tag = "find-me" }).Single().Id;

        using var found = await GetJsonAsync(http, $"/abortlab/api/requests/{id}");
        using var missing = await http.GetAsync("/abortlab/api/requests/999999");

        Assert.Equal("find-me", found.RootElement.GetProperty("tag").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Stream_ReconnectingWithLastEventId_ReplaysEveryMissedEvent_WithoutAGap()
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        await http.GetAsync("/ok?abortlab-tag=before");
        await http.GetAsync("/ok?abortlab-tag=before");

        string lastSeen;
        await using (var first = await SseReader.OpenAsync(http, "/abortlab/api/stream", null))
        {
            var events = await first.ReadAsync(4);
            Assert.Equal([1L, 2L, 3L, 4L], events.Select(e => e.Sequence));
            Assert.All(events, e => Assert.Equal(host.Services.GetRequiredService<TimelineStore>().Epoch, e.Epoch));
            Assert.Equal("requestStarted", events[0].Event);
            lastSeen = events[^1].Id;
        }

        // Missed while disconnected.
        await http.GetAsync("/ok?abortlab-tag=while-away");
        await http.GetAsync("/ok?abortlab-tag=while-away");
        var expectedLast = host.Store.LastSequence;

        await using var second = await SseReader.OpenAsync(http, "/abortlab/api/stream", lastSeen);
        var lastSeenSequence = long.Parse(lastSeen.AsSpan(lastSeen.LastIndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture);
        var replayed = await second.ReadAsync((int)(expectedLast - lastSeenSequence));
        Assert.Equal(Enumerable.Range((int)lastSeenSequence + 1, (int)(expectedLast - lastSeenSequence)).Select(i => (long)i), replayed.Select(e => e.Sequence));
        using var payload = JsonDocument.Parse(replayed[0].Data);
        Assert.True(payload.RootElement.TryGetProperty("timeline", out var timeline));
        Assert.Equal(JsonValueKind.Object, timeline.ValueKind);
    }

    [Fact]
    public async Task Connections_AndSockets_ShowAnOpenKeepAliveConnection()
    {
        await using var host = await StartAsync();
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /ok?abortlab-tag=kept HTTP/1.1\r\nHost: test\r\n\r\n");
        var head = await client.ReadHeadAsync();
        await client.ReadBodyAsync(int.Parse(head.Headers["Content-Length"], System.Globalization.CultureInfo.InvariantCulture));
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var connections = await GetJsonAsync(http, "/abortlab/api/connections");
        using var sockets = await GetJsonAsync(http, "/abortlab/api/sockets");

        var kept = connections.RootElement.GetProperty("connections").EnumerateArray()
            .Single(c => c.GetProperty("requests").EnumerateArray().Any(r => r.GetProperty("tag").GetString() == "kept"));
        Assert.Equal("HTTP/1.1", kept.GetProperty("protocol").GetString());
        Assert.Equal("test", kept.GetProperty("hop").GetString());
        Assert.True(sockets.RootElement.GetProperty("supported").GetBoolean());
        var port = sockets.RootElement.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("port").GetInt32() == host.Port);
        Assert.True(port.GetProperty("states").GetProperty("established").GetInt32() >= 2, "the raw client's and the HttpClient's connections");
    }

    [Fact]
    public async Task DiagnosticsRequests_AreNotRecorded_AndTheDashboardIsServed()
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var dashboard = await http.GetAsync("/abortlab/");
        using var redirect = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress }.GetAsync("/abortlab");
        await http.GetAsync("/abortlab/api/requests");

        Assert.Equal("text/html", dashboard.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal(0, host.Store.Count);
    }

    private static async Task<JsonDocument> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private Task<KestrelTestHost> StartAsync() => KestrelTestHost.StartAsync(app =>
    {
        app.UseAbortLab();
        app.UseRouting();
        app.MapGet("/ok", () => Results.Text("ok"));
        app.MapWaitUntilAborted("/wait", _started);
        app.MapAbortLab();
    });

    private async Task AbortOneAsync(KestrelTestHost host, string tag)
    {
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync($"GET /wait HTTP/1.1\r\nHost: test\r\nAbortLab-Tag: {tag}\r\n\r\n");
        var id = await _started.WaitAsync();
        client.CloseWithFin();
        await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null);
    }
}
