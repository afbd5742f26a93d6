using System.Net;
using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace AbortLab.FunctionalTests.Yarp;

/// <summary>
/// client → proxy (YARP + AbortLab.Yarp) → app → backend, each its own Kestrel on loopback.
/// </summary>
internal sealed class ProxyChain : IAsyncDisposable
{
    private ProxyChain(KestrelTestHost proxy, KestrelTestHost app, KestrelTestHost backend, Signal killResponse)
    {
        KillResponse = killResponse;
        Proxy = proxy;
        App = app;
        Backend = backend;
    }

    public KestrelTestHost Proxy { get; }

    public KestrelTestHost App { get; }

    public KestrelTestHost Backend { get; }

    public Signal<string> BackendStarted { get; } = new();

    /// <summary>Set by a test once the client has seen part of /dies-mid-response: the app then aborts it.</summary>
    public Signal KillResponse { get; }

    public static async Task<ProxyChain> StartAsync(bool http2Upstreams, TimeSpan? routeTimeout = null)
    {
        var protocols = http2Upstreams ? HttpProtocols.Http2 : HttpProtocols.Http1;
        var backendStarted = new Signal<string>();
        var killResponse = new Signal();
        var backend = await KestrelTestHost.StartAsync(
            app =>
            {
                app.UseAbortLab();
                app.MapWaitUntilAborted("/slow", backendStarted);
                app.MapGet("/ready", () => "ready");
            },
            options => options.HopName = "backend",
            protocols);

        var appHost = await KestrelTestHost.StartAsync(
            app =>
            {
                app.UseAbortLab();
                app.MapGet("/downstream", async (IHttpClientFactory clients) => await clients.CreateClient("backend").GetStringAsync("/slow"));
                app.MapGet("/ready-downstream", async (IHttpClientFactory clients) => await clients.CreateClient("backend").GetStringAsync("/ready"));
                app.MapGet("/dies-mid-response", async (HttpContext context) =>
                {
                    await context.Response.WriteAsync("partial");
                    await context.Response.Body.FlushAsync();
                    await killResponse.WaitAsync();
                    context.Abort();
                });
            },
            options => options.HopName = "app",
            protocols,
            services => services
                .AddHttpClient("backend", client =>
                {
                    client.BaseAddress = backend.BaseAddress;
                    client.DefaultRequestVersion = http2Upstreams ? HttpVersion.Version20 : HttpVersion.Version11;
                    client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
                })
                .AddAbortPropagation());

        var proxy = await StartProxyAsync(appHost.BaseAddress, http2Upstreams, routeTimeout);
        var chain = new ProxyChain(proxy, appHost, backend, killResponse);
        backendStarted.WaitAsync().ContinueWith(t => chain.BackendStarted.Set(t.Result), TaskContinuationOptions.OnlyOnRanToCompletion).Ignore();
        return chain;
    }

    public static Task<KestrelTestHost> StartProxyAsync(Uri destination, bool http2Upstream, TimeSpan? routeTimeout = null) => KestrelTestHost.StartAsync(
        app =>
        {
            app.UseAbortLab();
            app.UseRouting();
            app.UseRequestTimeouts();
            app.MapReverseProxy();
        },
        options => options.HopName = "proxy",
        configureServices: services =>
        {
            services.AddRequestTimeouts();
            services.AddReverseProxy()
                .LoadFromMemory(
                    [new RouteConfig { RouteId = "all", ClusterId = "app", Match = new RouteMatch { Path = "{**catch-all}" }, Timeout = routeTimeout }],
                    [new ClusterConfig
                    {
                        ClusterId = "app",
                        Destinations = new Dictionary<string, DestinationConfig> { ["app"] = new() { Address = destination.ToString() } },
                        HttpRequest = new ForwarderRequestConfig
                        {
                            Version = http2Upstream ? HttpVersion.Version20 : HttpVersion.Version11,
                            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                        },
                    }])
                .AddAbortLab();
        });

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await App.DisposeAsync();
        await Backend.DisposeAsync();
    }
}

internal static class TaskExtensions
{
    public static void Ignore(this Task task) => task.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
}
