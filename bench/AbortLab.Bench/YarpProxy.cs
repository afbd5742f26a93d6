using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace AbortLab.Bench;

/// <summary>A YARP proxy on a free loopback port in front of one backend, with or without AbortLab.Yarp.</summary>
internal sealed class YarpProxy : IAsyncDisposable
{
    private readonly WebApplication _app;

    private YarpProxy(WebApplication app)
    {
        _app = app;
        Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
    }

    public int Port { get; }

    /// <summary>Starts the proxy; with <paramref name="stages"/>, each <c>/hold/{id}</c> sample notes where its abort's time went.</summary>
    public static async Task<YarpProxy> StartAsync(int backendPort, bool abortLab, bool http2Upstream, HopStages? stages = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var proxy = builder.Services.AddReverseProxy().LoadFromMemory(
            [new RouteConfig { RouteId = "all", ClusterId = "backend", Match = new RouteMatch { Path = "{**rest}" } }],
            [new ClusterConfig
            {
                ClusterId = "backend",
                Destinations = new Dictionary<string, DestinationConfig> { ["backend"] = new() { Address = $"http://127.0.0.1:{backendPort}/" } },
                HttpRequest = new ForwarderRequestConfig
                {
                    Version = http2Upstream ? HttpVersion.Version20 : HttpVersion.Version11,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                },
            }]);
        if (stages is not null)
        {
            // Runs once YARP has linked the request's token, so this callback is newer than YARP's and runs first.
            proxy.AddTransforms(transforms => transforms.AddRequestTransform(transform =>
            {
                if (HopStages.SampleId(transform.HttpContext.Request.Path.Value) is { } id)
                {
                    transform.HttpContext.Response.RegisterForDispose(transform.HttpContext.RequestAborted.Register(() => stages.Noticed(id)));
                }

                return ValueTask.CompletedTask;
            }));
        }

        if (abortLab)
        {
            builder.Services.AddAbortLab(o => o.HopName = "proxy");
            proxy.AddAbortLab();
        }

        var app = builder.Build();
        if (abortLab)
        {
            app.UseAbortLab();
        }

        if (stages is not null)
        {
            // Registered before YARP's callback on the same token, so it runs after YARP's has returned.
            app.Use((context, next) =>
            {
                if (HopStages.SampleId(context.Request.Path.Value) is { } id)
                {
                    context.Response.RegisterForDispose(context.RequestAborted.Register(() => stages.Cancelled(id)));
                }

                return next(context);
            });
        }

        app.MapReverseProxy();
        await app.StartAsync();
        return new YarpProxy(app);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
