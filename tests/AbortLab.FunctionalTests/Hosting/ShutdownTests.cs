using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;

namespace AbortLab.FunctionalTests.Hosting;

public sealed class ShutdownTests
{
    [Fact]
    public async Task HostStopping_AbortsInFlightScopes_AsServerShutdown()
    {
        var started = new Signal<string>();
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapWaitUntilAborted("/wait", started);
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /wait HTTP/1.1\r\nHost: test\r\n\r\n");
        var id = await started.WaitAsync();

        var stopping = host.StopAsync();
        var head = await client.ReadHeadAsync();
        await stopping.WaitAsync(KestrelTestHost.WaitTimeout);

        Assert.Equal(503, head.StatusCode);
        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null);
        Assert.Equal(AbortReason.ServerShutdown, timeline.AbortReason);
        Assert.Equal(503, timeline.StatusCode);
        Assert.Equal(WorkOutcome.Canceled, timeline.Work.Single().Outcome);
    }
}
