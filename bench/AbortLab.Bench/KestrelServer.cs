using System.Net;
using AbortLab.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AbortLab.Bench;

/// <summary>
/// A Kestrel app on a free loopback port with the benchmark endpoints: <c>/hold/{id}</c> (one byte, then wait for the
/// abort, noting when the token fired), <c>/small</c> (a tiny answer, for throughput) and <c>/upload/{id}</c> (never
/// reads its body).
/// </summary>
internal sealed class KestrelServer : IAsyncDisposable
{
    private static readonly byte[] OneByte = "x"u8.ToArray();

    private readonly WebApplication _app;

    private KestrelServer(WebApplication app, ServerVariant variant)
    {
        _app = app;
        Variant = variant;
        Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
    }

    public ServerVariant Variant { get; }

    public int Port { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<KestrelServer> StartAsync(ServerVariant variant, FireRecorder recorder, HttpProtocols protocols = HttpProtocols.Http1, Action<AbortLabOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = protocols));
        if (variant != ServerVariant.Bare)
        {
            // Enough timelines to explain a rare miss after tens of thousands of samples.
            builder.Services.AddAbortLab(o =>
            {
                o.HopName = "bench";
                o.TimelineCapacity = 200_000;
                o.Sensors.RecordLogs = variant != ServerVariant.AbortLabWithoutLogSensor;
                configure?.Invoke(o);
            });
        }

        var app = builder.Build();
        if (variant != ServerVariant.Bare)
        {
            app.UseAbortLab();
        }

        var abortLab = variant != ServerVariant.Bare;
        app.MapGet("/small", () => "hello");
        app.MapGet("/hold/{id:int}", async (int id, HttpContext context) =>
        {
            var token = abortLab ? context.GetAbortScope().Token : context.RequestAborted;
            using var registration = token.Register(() => recorder.Fired(id));
            using var closed = context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeFeature>()?.ConnectionClosed.Register(() => recorder.ConnectionClosed(id));
            // Asks a buffering proxy (nginx, by default) to pass the first byte on at once; others ignore it.
            context.Response.Headers["X-Accel-Buffering"] = "no";
            await context.Response.Body.WriteAsync(OneByte, token);
            await context.Response.Body.FlushAsync(token);
            await WaitForAbortAsync(token);
            RecordIfUnrun(recorder, id, registration);
        });
        app.MapPost("/upload/{id:int}", async (int id, HttpContext context) =>
        {
            recorder.Started(id);
            var token = abortLab ? context.GetAbortScope().Token : context.RequestAborted;
            using var registration = token.Register(() => recorder.Fired(id));
            await WaitForAbortAsync(token);
            RecordIfUnrun(recorder, id, registration);
        });
        if (variant == ServerVariant.AbortLabWithDiagnostics)
        {
            app.MapAbortLab();
        }

        await app.StartAsync();
        return new KestrelServer(app, variant);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }

    /// <summary>
    /// A token runs its callbacks one at a time on the cancelling thread. When <c>Task.Delay</c>'s runs before the
    /// recorder's, the wait completes, this endpoint can resume on that thread and dispose the recorder's registration
    /// before the token gets to it: <c>Unregister</c> then succeeds on a cancelled token, which proves the callback
    /// never ran. Such a sample is recorded here, at the endpoint's resumption, and counted.
    /// </summary>
    private static void RecordIfUnrun(FireRecorder recorder, int id, CancellationTokenRegistration registration)
    {
        if (registration.Token.IsCancellationRequested && registration.Unregister())
        {
            recorder.FiredLate(id);
        }
    }

    private static async Task WaitForAbortAsync(CancellationToken token)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
