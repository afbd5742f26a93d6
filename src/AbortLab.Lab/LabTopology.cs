using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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

    private LabTopology(IAbortTimelineStore store)
    {
        Store = store;
    }

    public IAbortTimelineStore Store { get; }

    public Uri EdgeHttp { get; private set; } = null!;

    public Uri EdgeHttps { get; private set; } = null!;

    public Uri App { get; private set; } = null!;

    public Uri Backend { get; private set; } = null!;

    /// <summary>Starts the backend, then the app, then the edge: each needs the address of the one behind it.</summary>
    public static async Task<LabTopology> StartAsync(LabOptions options, IConfiguration configuration, Action<ILoggingBuilder>? logging = null)
    {
        var topology = new LabTopology(AbortTimelineStore.Create());
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

            var databasePath = Path.Combine(options.DataDirectory ?? Path.GetTempPath(), "abortlab-lab.db");
            var app = topology.Build(
                "app",
                configuration,
                logging,
                kestrel => kestrel.Listen(address, options.App.Port, l => l.Protocols = upstreamProtocols),
                services =>
                {
                    services.AddSingleton<LabDataSet>();
                    services.AddHttpClient(BackendClient, client =>
                    {
                        client.BaseAddress = topology.Backend;
                        client.DefaultRequestVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11;
                        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
                    }).AddAbortPropagation();
                });
            app.UseAbortLab();
            app.UseWebSockets();
            ScenarioEndpoints.MapScenarios(app, databasePath);
            app.MapAbortLab();
            topology.App = await topology.StartAsync(app, "app", options.App.Port);

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
        return builder.Build();
    }

    private async Task<Uri> StartAsync(WebApplication host, string hop, int port)
    {
        await host.StartAsync();
        _hosts.Add(host);
        return BoundAddresses(host).Single();
    }
}
