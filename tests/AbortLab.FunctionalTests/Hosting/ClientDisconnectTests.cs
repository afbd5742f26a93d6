using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Hosting;

public sealed class ClientDisconnectTests(ITestOutputHelper output)
{
    private readonly Signal<string> _handlerStarted = new();

    [Theory]
    [InlineData(ConnectionEnd.Fin)]
    [InlineData(ConnectionEnd.Rst)]
    public async Task CloseAfterHeaders_AbortsScope_Records499AndClosesConnection(ConnectionEnd end)
    {
        await using var host = await StartWaitingHostAsync();
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /wait HTTP/1.1\r\nHost: test\r\nAbortLab-Tag: after-headers\r\n\r\n");
        var id = await _handlerStarted.WaitAsync();

        client.End(end);

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null && t.ConnectionClosedAt is not null);
        AssertClientAbortStopped(timeline);
        Assert.Equal("after-headers", timeline.Tag);
    }

    [Fact]
    public async Task HalfClose_AbortsScope_AsClientDisconnected()
    {
        await using var host = await StartWaitingHostAsync();
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /wait HTTP/1.1\r\nHost: test\r\n\r\n");
        var id = await _handlerStarted.WaitAsync();

        client.HalfClose();

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null && t.ConnectionClosedAt is not null);
        AssertClientAbortStopped(timeline);

        // The server closed its side too: the half-closed client reads to the end.
        await client.ReadToEndAsync().WaitAsync(KestrelTestHost.WaitTimeout);
    }

    [Fact]
    public async Task AbortMidResponseBody_StopsTheWritingLoop()
    {
        var chunksWritten = 0;
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapGet("/stream", async (HttpContext context) =>
            {
                var scope = context.GetAbortScope();
                _handlerStarted.Set(scope.RequestId);
                await scope.RunAsync("stream", async token =>
                {
                    var chunk = new byte[1024];
                    while (true)
                    {
                        await context.Response.Body.WriteAsync(chunk, token);
                        await context.Response.Body.FlushAsync(token);
                        Interlocked.Increment(ref chunksWritten);
                        await Task.Delay(10, token);
                    }
                });
            });
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /stream HTTP/1.1\r\nHost: test\r\n\r\n");
        var head = await client.ReadHeadAsync();
        Assert.Equal(200, head.StatusCode);
        await client.ReadBodyAsync(2048);
        var id = await _handlerStarted.WaitAsync();

        client.CloseWithRst();

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null && t.ConnectionClosedAt is not null);
        AssertClientAbortStopped(timeline);
        var writtenAtStop = Volatile.Read(ref chunksWritten);
        Assert.Equal(WorkOutcome.Canceled, timeline.Work.Single().Outcome);

        // The loop is over: nothing is written after the work stopped.
        Assert.Equal(writtenAtStop, Volatile.Read(ref chunksWritten));
    }

    [Fact]
    public async Task AbortMidUpload_WhileTheBodyIsRead_AbortsScope()
    {
        var bytesRead = new Signal<long>();
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapPost("/upload", async (HttpContext context) =>
            {
                var scope = context.GetAbortScope();
                _handlerStarted.Set(scope.RequestId);
                await scope.RunAsync("read-body", async token =>
                {
                    var buffer = new byte[16 * 1024];
                    long total = 0;
                    int read;
                    while ((read = await context.Request.Body.ReadAsync(buffer, token)) > 0)
                    {
                        total += read;
                        if (total >= 256 * 1024)
                        {
                            bytesRead.Set(total);
                        }
                    }
                });
            });
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 10485760\r\n\r\n");
        await client.SendAsync(new byte[512 * 1024]);
        var id = await _handlerStarted.WaitAsync();
        await bytesRead.WaitAsync();

        client.CloseWithFin();

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null && t.ConnectionClosedAt is not null);
        AssertClientAbortStopped(timeline);
    }

    [Fact]
    public async Task UserCodeCancellation_AfterAbort_IsLoggedBelowWarningWith499()
    {
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapGet("/throws", async (HttpContext context) =>
            {
                _handlerStarted.Set(context.GetAbortScope().RequestId);

                // No tracking, no AbortLab API: plain user code that lets the cancellation escape.
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            });
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /throws HTTP/1.1\r\nHost: test\r\n\r\n");
        var id = await _handlerStarted.WaitAsync();
        client.CloseWithFin();

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null && t.ConnectionClosedAt is not null);
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Equal(499, timeline.StatusCode);

        var records = host.Logs.GetSnapshot();
        Assert.Contains(records, r => r.Id.Name == "AbortExceptionHandled" && r.Level == LogLevel.Debug);
        Assert.DoesNotContain(records, r => r.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task UnrelatedException_AfterAbort_IsNotSwallowed()
    {
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapGet("/bug", async (HttpContext context) =>
            {
                _handlerStarted.Set(context.GetAbortScope().RequestId);
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    throw new InvalidOperationException("a real bug in the cleanup code");
                }
            });
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /bug HTTP/1.1\r\nHost: test\r\n\r\n");
        var id = await _handlerStarted.WaitAsync();
        client.CloseWithFin();

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null);
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);

        // AbortLab answers only for what the abort caused; the bug reaches the server's error log.
        var error = await host.WaitForLogAsync(r => r.Level >= LogLevel.Error);
        Assert.IsType<InvalidOperationException>(error.Exception);
    }

    [Fact]
    public async Task CompletedRequest_ClosedByClientAfterResponse_IsNotReportedAborted()
    {
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapGet("/done", () => "done");
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /done HTTP/1.1\r\nHost: test\r\nAbortLab-Tag: done\r\n\r\n");
        var head = await client.ReadHeadAsync();
        Assert.Equal(200, head.StatusCode);
        client.CloseWithFin();

        var timeline = await host.WaitForTimelineAsync(t => t.Tag == "done" && t.ConnectionClosedAt is not null);
        Assert.Null(timeline.AbortReason);
        Assert.Null(timeline.AbortedAt);
        Assert.Equal(200, timeline.StatusCode);
        Assert.Null(timeline.AbortToConnectionClosedMs);
    }

    [Fact]
    public async Task ClientAbort_IsCountedInMetricsByReason()
    {
        await using var host = await StartWaitingHostAsync();
        using var aborted = host.CollectMetric<long>("abortlab.requests.aborted");
        using var workStop = host.CollectMetric<double>("abortlab.abort.work_stop.duration");
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /wait HTTP/1.1\r\nHost: test\r\n\r\n");
        await _handlerStarted.WaitAsync();

        client.CloseWithFin();

        await aborted.WaitForMeasurementsAsync(1, KestrelTestHost.WaitTimeout);
        var measurement = Assert.Single(aborted.GetMeasurementSnapshot());
        Assert.Equal("client_disconnected", measurement.Tags["abortlab.abort.reason"]);
        Assert.Equal("server", measurement.Tags["abortlab.abort.detected_by"]);
        await workStop.WaitForMeasurementsAsync(1, KestrelTestHost.WaitTimeout);
        Assert.True(workStop.GetMeasurementSnapshot().Single().Value >= 0);
    }

    private Task<KestrelTestHost> StartWaitingHostAsync() => KestrelTestHost.StartAsync(app =>
    {
        app.UseAbortLab();
        app.MapWaitUntilAborted("/wait", _handlerStarted);
    });

    private void AssertClientAbortStopped(RequestTimeline timeline)
    {
        output.WriteLine($"abort->work stopped {timeline.AbortToWorkStoppedMs} ms, abort->connection closed {timeline.AbortToConnectionClosedMs} ms");
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Equal(499, timeline.StatusCode);
        Assert.NotNull(timeline.AbortedAt);
        Assert.True(timeline.AbortedAt >= timeline.StartedAt);
        Assert.All(timeline.Work, work => Assert.Equal(WorkOutcome.Canceled, work.Outcome));
        Assert.NotNull(timeline.AbortToWorkStoppedMs);
        Assert.NotNull(timeline.AbortToConnectionClosedMs);
        Assert.Equal("HTTP/1.1", timeline.Protocol);
        Assert.Equal("test", timeline.Hop);
        Assert.Matches("^[0-9a-f]{32}$", timeline.TraceId);
    }
}
