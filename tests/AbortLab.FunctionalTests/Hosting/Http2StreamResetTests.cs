using System.Net;
using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AbortLab.FunctionalTests.Hosting;

public sealed class Http2StreamResetTests
{
    [Fact]
    public async Task StreamReset_CancelsOnlyThatStream_WhileSiblingCompletesOnTheSameConnection()
    {
        var waitingStarted = new Signal<string>();
        var releaseSibling = new Signal();
        await using var host = await KestrelTestHost.StartAsync(
            app =>
            {
                app.UseAbortLab();
                app.MapWaitUntilAborted("/wait", waitingStarted);
                app.MapGet("/sibling", async (HttpContext context) =>
                {
                    await releaseSibling.WaitAsync();
                    return context.GetAbortScope().IsAborted ? "aborted" : "completed";
                });
            },
            protocols: HttpProtocols.Http2);

        using var handler = new SocketsHttpHandler();
        using var client = new HttpClient(handler) { BaseAddress = host.BaseAddress };
        using var sibling = NewRequest("/sibling", "sibling");
        var siblingResponse = client.SendAsync(sibling);
        using var cancellation = new CancellationTokenSource();
        using var waiting = NewRequest("/wait", "reset");
        var waitingResponse = client.SendAsync(waiting, cancellation.Token);
        var id = await waitingStarted.WaitAsync();

        // HttpClient sends RST_STREAM for a cancelled HTTP/2 request.
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waitingResponse);

        var reset = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null);
        Assert.Equal(AbortReason.ClientDisconnected, reset.AbortReason);
        Assert.Equal("HTTP/2", reset.Protocol);
        Assert.Equal(WorkOutcome.Canceled, reset.Work.Single().Outcome);

        releaseSibling.Set();
        using var response = await siblingResponse.WaitAsync(KestrelTestHost.WaitTimeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("completed", await response.Content.ReadAsStringAsync());

        var completed = await host.WaitForTimelineAsync(t => t.Tag == "sibling" && t.CompletedAt is not null);
        Assert.Null(completed.AbortReason);
        Assert.Equal(reset.ConnectionId, completed.ConnectionId);

        // The connection was kept: a third stream still runs on it.
        using var third = await client.SendAsync(NewRequest("/sibling", "third"));
        var thirdTimeline = await host.WaitForTimelineAsync(t => t.Tag == "third" && t.CompletedAt is not null);
        Assert.Equal(reset.ConnectionId, thirdTimeline.ConnectionId);
        Assert.Null(host.Store.Find(reset.Id)!.ConnectionClosedAt);
        Assert.Null(host.Store.Find(reset.Id)!.AbortToConnectionClosedMs);
    }

    private static HttpRequestMessage NewRequest(string path, string tag)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Add("AbortLab-Tag", tag);
        return request;
    }
}
