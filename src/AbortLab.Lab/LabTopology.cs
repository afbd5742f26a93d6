using System.Net;
using System.Security.Cryptography.X509Certificates;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace AbortLab.Lab;

/// <summary>
/// The lab's three hops in one process, each its own Kestrel server, all recording into one timeline store:
/// edge (YARP, HTTP and HTTPS with HTTP/2) → app (the scenarios) → backend.
/// </summary>
internal sealed class LabTopology : IAsyncDisposable
{
    public const string BackendClient = "backend";

    private readonly List<WebApplication> _hosts = [];
    private readonly SemaphoreSlim _restarting = new(1, 1);
    private Func<int, WebApplication> _appFactory = null!;
    private WebApplication? _app;
    private int _appRestarts;
    private Uri _backendForApp = null!;
    private IReadOnlyList<string> _hostNames = [];

    private LabTopology(IAbortTimelineStore store)
    {
        Store = store;
    }

    public IAbortTimelineStore Store { get; }

    public Uri EdgeHttp { get; private set; } = null!;

    public Uri EdgeHttps { get; private set; } = null!;

    public Uri App { get; private set; } = null!;

    public Uri Backend { get; private set; } = null!;

    /// <summary>How many times the app hop was restarted through <see cref="RestartAppAsync"/>.</summary>
    public int AppRestarts => Volatile.Read(ref _appRestarts);

    /// <summary>The database of the orders, the idempotency keys and the database scenarios.</summary>
    public LabDatabase Database { get; private init; } = null!;

    /// <summary>Starts the backend, then the app, then the edge: each needs the address of the one behind it.</summary>
    /// <param name="options">The lab's options.</param>
    /// <param name="configuration">Configuration passed on to every hop.</param>
    /// <param name="logging">Adds loggers to every hop.</param>
    /// <param name="routeToBackend">Where the app reaches the backend, given the backend's address (tests put a TCP hop between).</param>
    public static async Task<LabTopology> StartAsync(LabOptions options, IConfiguration configuration, Action<ILoggingBuilder>? logging = null, Func<Uri, Uri>? routeToBackend = null)
    {
        var database = LabDatabase.Prepare(options);
        var topology = new LabTopology(AbortTimelineStore.Create()) { Database = database, _hostNames = options.HostNames() };
        try
        {
            var address = IPAddress.Parse(options.Address);
            var http2 = options.UpstreamProtocol == UpstreamProtocol.Http2;
            var upstreamProtocols = http2 ? HttpProtocols.Http2 : HttpProtocols.Http1;

            var backend = topology.Build("backend", configuration, logging, kestrel => kestrel.Listen(address, options.Backend.Port, l => l.Protocols = upstreamProtocols));
            backend.UseAbortLab();
            backend.UseWebSockets();
            ScenarioEndpoints.MapSlow(backend);
            backend.MapAbortLab();
            topology.Backend = await topology.StartAsync(backend, "backend", options.Backend.Port);
            topology._backendForApp = routeToBackend?.Invoke(topology.Backend) ?? topology.Backend;

            topology._appFactory = port => topology.BuildApp(configuration, logging, address, port, upstreamProtocols, http2, database);
            var app = topology._appFactory(options.App.Port);
            topology.App = await topology.StartAsync(app, "app", options.App.Port);
            topology._app = app;

            var certificate = options.CertificatePath is null
                ? SelfSignedCertificate.Create(TimeProvider.System)
                : X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
            var edge = topology.Build(
                "edge",
                configuration,
                logging,
                kestrel =>
                {
                    kestrel.Listen(address, options.Edge.HttpPort);
                    kestrel.Listen(address, options.Edge.HttpsPort, l =>
                    {
                        l.Protocols = HttpProtocols.Http1AndHttp2;
                        l.UseHttps(certificate);
                    });
                },
                services =>
                {
                    services.AddRequestTimeouts();
                    services.AddReverseProxy()
                        .LoadFromMemory(
                            [new RouteConfig { RouteId = "lab", ClusterId = "app", Match = new RouteMatch { Path = "/lab/{**rest}" } }],
                            [new ClusterConfig
                            {
                                ClusterId = "app",
                                Destinations = new Dictionary<string, DestinationConfig> { ["app"] = new() { Address = topology.App.ToString() } },
                                HttpRequest = new ForwarderRequestConfig
                                {
                                    Version = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
                                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                                },
                            }])
                        .AddAbortLab();
                });
            edge.UseAbortLab();
            edge.UseRouting();
            edge.UseRequestTimeouts();
            edge.UseWebSockets();
            LabPages.Map(edge);
            edge.MapPost("/lab-admin/restart-app", async () => Results.Json(await topology.RestartAppAsync())).AddEndpointFilter<AdminRequestFilter>();
            edge.MapAbortLab();
            edge.MapReverseProxy();
            await edge.StartAsync();
            var edgeAddresses = BoundAddresses(edge);
            topology._hosts.Add(edge);
            topology.EdgeHttp = edgeAddresses.Single(a => a.Scheme == "http");
            topology.EdgeHttps = edgeAddresses.Single(a => a.Scheme == "https");
            return topology;
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Stops the app hop gracefully (it drains: see AbortLab's graceful shutdown) and starts a new one on the same
    /// port; the edge keeps forwarding to that address. Returns the old app's shutdown report.
    /// </summary>
    public async Task<ShutdownReport?> RestartAppAsync()
    {
        await _restarting.WaitAsync();
        try
        {
            var old = _app!;
            Interlocked.Increment(ref _appRestarts);
            await old.StopAsync();
            _hosts.Remove(old);
            await old.DisposeAsync();
            var report = ((TimelineStore)Store).LastShutdownReport;

            var fresh = _appFactory(App.Port);
            await fresh.StartAsync();
            _hosts.Insert(1, fresh);
            _app = fresh;
            return report;
        }
        finally
        {
            _restarting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Front to back, so no hop loses the one behind it while it still forwards.
        for (var i = _hosts.Count - 1; i >= 0; i--)
        {
            await _hosts[i].StopAsync();
            await _hosts[i].DisposeAsync();
        }

        _hosts.Clear();
    }

    private WebApplication BuildApp(IConfiguration configuration, Action<ILoggingBuilder>? logging, IPAddress address, int port, HttpProtocols upstreamProtocols, bool http2, LabDatabase database)
    {
        var app = Build(
            "app",
            configuration,
            logging,
            kestrel => kestrel.Listen(address, port, l => l.Protocols = upstreamProtocols),
            services =>
            {
                services.AddSingleton<LabDataSet>();
                services.AddExceptionHandler<BadRequestHandler>();
                services.AddExceptionHandler<UpstreamFailureHandler>();
                services.AddHttpClient(BackendClient, client =>
                {
                    client.BaseAddress = _backendForApp;
                    client.DefaultRequestVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11;
                    client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
                }).AddAbortPropagation();
                services.AddDbContextPool<LabShopContext>(o =>
                {
                    if (database.IsPostgres)
                    {
                        o.UseNpgsql(database.ConnectionString);
                    }
                    else
                    {
                        o.UseSqlite(database.ConnectionString);
                    }

                    o.UseAbortLab();
                });
                services.AddSingleton(database.CreateIdempotencyStore());
                services.AddIdempotency(o =>
                {
                    o.WaitForInFlight = TimeSpan.FromSeconds(5);
                    configuration.GetSection("Idempotency").Bind(o);
                });
            });
        app.UseAbortLab();
        app.UseRouting();
        app.UseIdempotency();
        app.UseWebSockets();
        ScenarioEndpoints.MapScenarios(app, database);
        OrderEndpoints.Map(app, database);
        app.MapAbortLab();
        return app;
    }

    private static IReadOnlyList<Uri> BoundAddresses(WebApplication host) =>
        host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();

    private WebApplication Build(string hop, IConfiguration configuration, Action<ILoggingBuilder>? logging, Action<KestrelServerOptions> kestrel, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = $"AbortLab.Lab.{hop}" });
        builder.Configuration.AddConfiguration(configuration);
        builder.WebHost.ConfigureKestrel(kestrel);
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        logging?.Invoke(builder.Logging);
        builder.Services.AddSingleton(Store);
        builder.Services.AddProblemDetails();
        builder.Services.AddAbortLab(o => o.HopName = hop);
        services?.Invoke(builder.Services);
        var host = builder.Build();

        // Outermost: whatever fails answers problem details, never an empty 500 (aborted requests are AbortLab's).
        host.UseExceptionHandler();
        host.UseStatusCodePages();

        // Then, before anything runs: a Host that does not name the lab (DNS rebinding) gets a 400 problem.
        host.UseMiddleware<HostCheckMiddleware>(_hostNames);
        return host;
    }

    private async Task<Uri> StartAsync(WebApplication host, string hop, int port)
    {
        await host.StartAsync();
        _hosts.Add(host);
        return BoundAddresses(host).Single();
    }
}
