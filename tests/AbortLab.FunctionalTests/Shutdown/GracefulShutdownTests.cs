using System.Diagnostics;
using System.Text;
using AbortLab.Shutdown;
using AbortLab.Streams;
using AbortLab.Testing;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Shutdown;

public sealed class GracefulShutdownTests(ITestOutputHelper output)
{
    private const int SseClients = 200;
    private const int SlowRequests = 50;
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    private readonly CountdownSignal _streamsStarted = new(SseClients);
    private readonly CountdownSignal _slowStarted = new(SlowRequests);
    private readonly Signal _releaseShort = new();
    private int _objectDisposed;

    [Fact]
    public async Task Shutdown_TellsEveryStream_DrainsOrAbortsEveryRequest_AndStopsInTime()
    {
        await using var host = await StartAsync();
        var streams = new List<(RawHttpConnection Client, Task<byte[]> Received)>();
        for (var i = 0; i < SseClients; i++)
        {
            var client = await RawHttpConnection.ConnectAsync(host.Port);
            await client.SendAsync("GET /sse HTTP/1.1\r\nHost: test\r\n\r\n");
            streams.Add((client, client.ReadAllUntilClosedAsync()));
        }

        var slow = new List<(RawHttpConnection Client, Task<byte[]> Received)>();
        for (var i = 0; i < SlowRequests; i++)
        {
            // Half finish during the drain (released once it has begun), half would run for a minute.
            var path = i % 2 == 0 ? "/short?abortlab-tag=short" : "/slow?ms=60000&abortlab-tag=long";
            var client = await RawHttpConnection.ConnectAsync(host.Port);
            await client.SendAsync($"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
            slow.Add((client, client.ReadAllUntilClosedAsync()));
        }

        await _streamsStarted.WaitAsync();
        await _slowStarted.WaitAsync();

        var stopping = Stopwatch.StartNew();
        var stopped = host.StopAsync();
        await host.WaitForTimelineAsync(t => t.Path == "/sse" && t.AbortReason == AbortReason.ServerShutdown);
        _releaseShort.Set();
        await stopped.WaitAsync(KestrelTestHost.WaitTimeout);
        stopping.Stop();
        output.WriteLine($"host stopped in {stopping.ElapsedMilliseconds} ms");

        foreach (var (client, received) in streams)
        {
            var text = Encoding.UTF8.GetString(await received.WaitAsync(KestrelTestHost.WaitTimeout));
            Assert.Contains("event: shutdown\ndata: server shutting down\n\n", text, StringComparison.Ordinal);
            client.Dispose();
        }

        foreach (var (client, received) in slow)
        {
            await received.WaitAsync(KestrelTestHost.WaitTimeout);
            client.Dispose();
        }

        Assert.True(stopping.Elapsed < ShutdownTimeout, $"the host took {stopping.Elapsed} to stop");
        var drained = host.Store.GetRecent(new TimelineQuery { Tag = "short", Limit = 100 });
        var aborted = host.Store.GetRecent(new TimelineQuery { Tag = "long", Limit = 100 });
        Assert.Equal(SlowRequests / 2, drained.Count);
        Assert.All(drained, t => Assert.True(t.AbortReason is null && t.StatusCode == 200, $"{t.Id}: {t.AbortReason} {t.StatusCode}"));
        Assert.Equal(SlowRequests / 2, aborted.Count);
        Assert.All(aborted, t => Assert.Equal(AbortReason.ServerShutdown, t.AbortReason));

        Assert.Equal(0, Volatile.Read(ref _objectDisposed));
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Exception is ObjectDisposedException);

        var report = host.Services.GetRequiredService<TimelineStore>().LastShutdownReport;
        Assert.NotNull(report);
        output.WriteLine(System.Text.Json.JsonSerializer.Serialize(report));
        Assert.Equal(SseClients, report.StreamsNotified);
        Assert.Equal(SseClients, report.StreamsAcknowledged);
        Assert.Equal(SlowRequests / 2, report.RequestsDrained);
        Assert.Equal(SlowRequests / 2, report.RequestsAborted);
        Assert.Equal(0, report.ZombiesLeft);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Name == "ShutdownReported");
    }

    [Fact]
    public async Task NewRequestWhileDraining_Gets503WithRetryAfterAndConnectionClose()
    {
        await using var host = await StartAsync();
        using var stream = await RawHttpConnection.ConnectAsync(host.Port);
        await stream.SendAsync("GET /sse?abortlab-tag=drain-witness HTTP/1.1\r\nHost: test\r\n\r\n");
        using var inFlight = await RawHttpConnection.ConnectAsync(host.Port);
        await inFlight.SendAsync("GET /slow?ms=60000 HTTP/1.1\r\nHost: test\r\n\r\n");
        // Both must be running before the drain begins, or a late one is refused as a new request (seen under load).
        await _streamsStarted.WaitOneAsync();
        await _slowStarted.WaitOneAsync();

        var stopping = host.StopAsync();

        // Streams are told first, once the drain has begun.
        await host.WaitForTimelineAsync(t => t.Tag == "drain-witness" && t.AbortReason == AbortReason.ServerShutdown);
        using var late = await RawHttpConnection.ConnectAsync(host.Port);
        await late.SendAsync("GET /slow?ms=1 HTTP/1.1\r\nHost: test\r\n\r\n");
        var head = await late.ReadHeadAsync();

        Assert.Equal(503, head.StatusCode);
        Assert.Equal("5", head.Headers["Retry-After"]);
        Assert.Equal("close", head.Headers["Connection"]);
        await stopping.WaitAsync(KestrelTestHost.WaitTimeout);
        Assert.Equal(1, host.Services.GetRequiredService<TimelineStore>().LastShutdownReport!.RequestsRefused);
    }

    private Task<KestrelTestHost> StartAsync() => KestrelTestHost.StartAsync(
        app =>
        {
            app.UseAbortLab();
            app.MapGet("/sse", (HttpContext context) => ServerSentEventStream.RunAsync(context, async (stream, token) =>
            {
                _streamsStarted.Signal();
                while (true)
                {
                    await stream.SendAsync("tick", cancellationToken: token);
                    await Task.Delay(200, token); // intentional: the stream's own tick, not a wait of the test
                }
            }));
            app.MapGet("/short", async (HttpContext context) =>
            {
                var scope = context.GetAbortScope();
                _slowStarted.Signal();
                await scope.RunAsync("short", token => _releaseShort.WaitAsync().WaitAsync(token));
                await context.Response.WriteAsync("done", scope.Token);
            });
            app.MapGet("/slow", async (HttpContext context, int ms) =>
            {
                var scope = context.GetAbortScope();
                _slowStarted.Signal();
                try
                {
                    await scope.RunAsync("slow", token => Task.Delay(ms, token));
                    await context.Response.WriteAsync("done", scope.Token);
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref _objectDisposed);
                    throw;
                }
            });
        },
        configureServices: services => services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout));
}
