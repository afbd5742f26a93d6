using System.Net;
using AbortLab.Hosting;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AbortLab.Testing;

/// <summary>
/// A real Kestrel server on 127.0.0.1 port 0 with AbortLab added, for tests about sockets and aborts.
/// </summary>
internal sealed class KestrelTestHost : IAsyncDisposable
{
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(20);

    private readonly WebApplication _app;

    private KestrelTestHost(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public IAbortTimelineStore Store => _app.Services.GetRequiredService<IAbortTimelineStore>();

    public FakeLogCollector Logs => _app.Services.GetFakeLogCollector();

    public static async Task<KestrelTestHost> StartAsync(
        Action<WebApplication> configurePipeline,
        Action<AbortLabOptions>? configureOptions = null,
        HttpProtocols protocols = HttpProtocols.Http1,
        Action<IServiceCollection>? configureServices = null,
        bool fakeLogging = true)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "AbortLab.Tests",
            EnvironmentName = "Testing",
        });
        builder.WebHost.ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = protocols));

        // No ambient appsettings.json (the lab's is copied next to the tests): a test configures what it needs.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (fakeLogging)
        {
            // Without it, AbortLab's own log sensor is the host's only logger (Logs is then not available).
            builder.Logging.AddFakeLogging();
        }

        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddAbortLab(options =>
        {
            options.HopName = "test";
            options.Shutdown.DrainTimeout = TimeSpan.FromSeconds(2);
            configureOptions?.Invoke(options);
        });
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        configurePipeline(app);
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new KestrelTestHost(app, new Uri(address).Port);
    }

    public MetricCollector<T> CollectMetric<T>(string instrumentName)
        where T : struct
    {
        return new MetricCollector<T>(_app.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "AbortLab", instrumentName);
    }

    /// <summary>
    /// Waits, event by event, until a timeline in the store matches <paramref name="predicate"/>.
    /// </summary>
    public Task<RequestTimeline> WaitForTimelineAsync(Func<RequestTimeline, bool> predicate, TimeSpan? timeout = null) =>
        Store.WaitForTimelineAsync(predicate, timeout ?? WaitTimeout);

    /// <summary>Waits, record by record, for a log record that matches.</summary>
    public async Task<FakeLogRecord> WaitForLogAsync(Func<FakeLogRecord, bool> predicate)
    {
        using var cancellation = new CancellationTokenSource(WaitTimeout);
        await foreach (var record in Logs.GetLogsAsync(cancellation.Token))
        {
            if (predicate(record))
            {
                return record;
            }
        }

        throw new TimeoutException("No matching log record.");
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(stopping.Token);
        await _app.DisposeAsync();
    }
}
