using System.IO.Pipelines;
using System.Security.Cryptography;
using AbortLab.Hosting;
using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Uploads;

public sealed class StalledUploadTests(ITestOutputHelper output)
{
    private const int DeclaredLength = 20 * 1024 * 1024;
    private const int SentBeforeAbandon = 4 * 1024 * 1024;

    private readonly Signal<string> _handlerStarted = new();

    [Theory]
    [InlineData(ConnectionEnd.Fin)]
    [InlineData(ConnectionEnd.Rst)]
    public async Task StalledUpload_Abandoned_IsDetectedAndItsWorkStops(ConnectionEnd end)
    {
        await using var host = await StartIgnoringHostAsync();
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync($"POST /ignore HTTP/1.1\r\nHost: test\r\nContent-Length: {DeclaredLength}\r\n\r\n");
        var id = await _handlerStarted.WaitAsync();
        await client.SendAsync(new byte[SentBeforeAbandon]).WaitAsync(KestrelTestHost.WaitTimeout);

        // With FIN (a plain close) the FIN queues behind any unsent bytes; with RST it leaves at once.
        var closedAt = TimeProvider.System.GetUtcNow();
        client.End(end);

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null && t.ConnectionClosedAt is not null);
        AssertDetected(timeline, closedAt);
    }

    [Fact]
    public async Task StalledUpload_AbandonedWithRst_WithoutReadAhead_IsFoundByTheSocketProbe()
    {
        await using var host = await StartIgnoringHostAsync(options => options.StalledUploads.ReadAheadEnabled = false);
        using var aborted = host.CollectMetric<long>("abortlab.requests.aborted");
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync($"POST /ignore HTTP/1.1\r\nHost: test\r\nContent-Length: {DeclaredLength}\r\n\r\n");
        var id = await _handlerStarted.WaitAsync();

        // Nothing drains the body: the kernel stops taking bytes once Kestrel's buffer and the windows are full.
        var accepted = client.SendUntilStalled(new byte[DeclaredLength], TimeSpan.FromSeconds(1));
        output.WriteLine($"the client's kernel accepted {accepted} bytes before the upload stalled");
        Assert.True(accepted < DeclaredLength, "the upload should have stalled: nothing reads it");

        var closedAt = TimeProvider.System.GetUtcNow();
        client.CloseWithRst();

        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null && t.ConnectionClosedAt is not null);
        AssertDetected(timeline, closedAt);
        var measurement = Assert.Single(aborted.GetMeasurementSnapshot());
        Assert.Equal("socket_probe", measurement.Tags["abortlab.abort.detected_by"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SpooledUpload_ReadLateBySlowApp_ArrivesByteForByte(bool readWithPipeReader)
    {
        var clientFinishedSending = new Signal();
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapPost("/hash", async (HttpContext context) =>
            {
                _handlerStarted.Set(context.GetAbortScope().RequestId);

                // A slow app: it reads nothing until the client has sent everything, which it can only do if
                // AbortLab drains the body into its spool meanwhile.
                await clientFinishedSending.WaitAsync();
                var hash = readWithPipeReader
                    ? await HashAsync(context.Request.BodyReader)
                    : await SHA256.HashDataAsync(context.Request.Body);
                var hex = Convert.ToHexString(hash);
                context.Response.ContentLength = hex.Length;
                await context.Response.WriteAsync(hex);
            });
        });

        var body = RandomNumberGenerator.GetBytes(DeclaredLength);
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync($"POST /hash HTTP/1.1\r\nHost: test\r\nContent-Length: {body.Length}\r\n\r\n");
        await _handlerStarted.WaitAsync();
        await client.SendAsync(body).WaitAsync(KestrelTestHost.WaitTimeout);
        clientFinishedSending.Set();

        var head = await client.ReadHeadAsync();
        Assert.Equal(200, head.StatusCode);
        var responseBody = await client.ReadBodyAsync(int.Parse(head.Headers["Content-Length"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(body)), System.Text.Encoding.ASCII.GetString(responseBody));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Name == "ReadAheadStarted");
    }

    [Fact]
    public async Task UploadTooLarge_IsNotMistakenForAClientAbort()
    {
        await using var host = await KestrelTestHost.StartAsync(
            app =>
            {
                app.UseAbortLab();
                app.MapPost("/too-large", async (HttpContext context) =>
                {
                    _handlerStarted.Set(context.GetAbortScope().RequestId);
                    await context.Request.Body.CopyToAsync(Stream.Null);
                });
            },
            configureServices: services => services.Configure<KestrelServerOptions>(options => options.Limits.MaxRequestBodySize = 64 * 1024));

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("POST /too-large HTTP/1.1\r\nHost: test\r\nContent-Length: 131072\r\n\r\n");
        await client.SendAsync(new byte[131072]);
        var head = await client.ReadHeadAsync();

        Assert.Equal(413, head.StatusCode);
        var id = await _handlerStarted.WaitAsync();
        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null);
        Assert.Null(timeline.AbortReason);
    }

    private static async Task<byte[]> HashAsync(PipeReader reader)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        while (true)
        {
            var result = await reader.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                hash.AppendData(segment.Span);
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return hash.GetHashAndReset();
            }
        }
    }

    private Task<KestrelTestHost> StartIgnoringHostAsync(Action<AbortLabOptions>? configure = null) => KestrelTestHost.StartAsync(
        app =>
        {
            app.UseAbortLab();
            app.MapPost("/ignore", async (HttpContext context) =>
            {
                var scope = context.GetAbortScope();
                _handlerStarted.Set(scope.RequestId);

                // Never reads the body: Kestrel alone would stop reading the socket and never see the client leave.
                await scope.RunAsync("ignore-body", token => Task.Delay(Timeout.Infinite, token));
                return "done";
            });
        },
        configure);

    private void AssertDetected(RequestTimeline timeline, DateTimeOffset closedAt)
    {
        var detection = timeline.AbortedAt!.Value - closedAt;
        output.WriteLine($"detected {detection.TotalMilliseconds:F1} ms after the client closed; work stopped {timeline.AbortToWorkStoppedMs} ms after the abort; connection closed {timeline.AbortToConnectionClosedMs} ms after it");
        Assert.Equal(AbortReason.ClientDisconnected, timeline.AbortReason);
        Assert.Equal(499, timeline.StatusCode);
        Assert.Equal(WorkOutcome.Canceled, timeline.Work.Single().Outcome);
        Assert.NotNull(timeline.AbortToWorkStoppedMs);
    }
}
