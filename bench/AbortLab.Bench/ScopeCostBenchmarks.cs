using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AbortLab.Bench;

/// <summary>
/// The per-request cost of AbortLab's middleware against the same pipeline without it, no sockets. Three pairs: a
/// fresh <see cref="DefaultHttpContext"/> per request (its feature collection grows when a middleware adds
/// features); a server-like context whose features are already there and whose collection has room, as a server's
/// are; and an app-like pipeline (Request Timeouts with a default policy, an <see cref="HttpClient"/> call to an
/// in-memory handler, with AbortLab's propagation handler and one tracked work). AbortLab runs with its defaults, so
/// past <c>RecordedRequestsPerSecond</c> a normal request is not recorded; one row records every request.
/// </summary>
[MemoryDiagnoser]
public class ScopeCostBenchmarks
{
    private const string BareClient = "bare";
    private const string PropagatingClient = "propagating";
    private const string ExcludedPath = "/health";

    private RequestDelegate _bare = null!;
    private RequestDelegate _withAbortLab = null!;
    private RequestDelegate _withEveryRequestRecorded = null!;
    private RequestDelegate _withTrackedWork = null!;
    private RequestDelegate _yielding = null!;
    private RequestDelegate _appBare = null!;
    private RequestDelegate _appWithAbortLab = null!;
    private HttpClient _bareClient = null!;
    private HttpClient _propagatingClient = null!;
    private ServiceProvider _services = null!;
    private ServiceProvider _recordingServices = null!;

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddAbortLab(o =>
        {
            o.HopName = "bench";
            o.ExcludedPaths.Add(ExcludedPath);
        });
        services.AddRequestTimeouts(o => o.DefaultPolicy = new RequestTimeoutPolicy { Timeout = TimeSpan.FromSeconds(30) });
        services.AddHttpClient(BareClient).ConfigurePrimaryHttpMessageHandler(static () => new AnswerOkHandler());
        services.AddHttpClient(PropagatingClient).ConfigurePrimaryHttpMessageHandler(static () => new AnswerOkHandler()).AddAbortPropagation();
        _services = services.BuildServiceProvider();
        var clients = _services.GetRequiredService<IHttpClientFactory>();
        _bareClient = clients.CreateClient(BareClient);
        _propagatingClient = clients.CreateClient(PropagatingClient);

        var recording = new ServiceCollection();
        recording.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        recording.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        recording.AddAbortLab(o =>
        {
            o.HopName = "bench";
            o.RecordedRequestsPerSecond = 10_000_000;
        });
        _recordingServices = recording.BuildServiceProvider();

        _bare = Pipeline(null, static _ => Task.CompletedTask);
        _withEveryRequestRecorded = Pipeline(static app => app.UseAbortLab(), static _ => Task.CompletedTask, _recordingServices);
        _withAbortLab = Pipeline(static app => app.UseAbortLab(), static _ => Task.CompletedTask);
        _withTrackedWork = Pipeline(static app => app.UseAbortLab(), static context => context.GetAbortScope().RunAsync("work", static _ => Task.CompletedTask));
        _yielding = Pipeline(static app => app.UseAbortLab(), static async _ => await Task.Yield());
        _appBare = Pipeline(static app => app.UseRequestTimeouts(), context => CallBackendAsync(_bareClient, context));
        _appWithAbortLab = Pipeline(
            static app =>
            {
                app.UseAbortLab();
                app.UseRequestTimeouts();
            },
            async context =>
            {
                await context.GetAbortScope().RunAsync("query", static _ => Task.CompletedTask);
                await CallBackendAsync(_propagatingClient, context);
            });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _recordingServices.Dispose();
    }

    [Benchmark(Baseline = true, Description = "bare pipeline")]
    public Task Bare() => _bare(NewContext());

    [Benchmark(Description = "UseAbortLab: scope + timeline")]
    public Task WithAbortLab() => _withAbortLab(NewContext());

    [Benchmark(Description = "UseAbortLab, every request recorded (RecordedRequestsPerSecond at its maximum)")]
    public Task WithEveryRequestRecorded() => _withEveryRequestRecorded(NewContext());

    [Benchmark(Description = "UseAbortLab, a path in ExcludedPaths (passed through)")]
    public Task WithExcludedPath() => _withAbortLab(NewContext(ExcludedPath));

    [Benchmark(Description = "UseAbortLab + one tracked work")]
    public Task WithTrackedWork() => _withTrackedWork(NewContext());

    [Benchmark(Description = "server-like context: bare pipeline")]
    public Task ServerLikeBare() => _bare(NewServerLikeContext());

    [Benchmark(Description = "server-like context: UseAbortLab")]
    public Task ServerLikeWithAbortLab() => _withAbortLab(NewServerLikeContext());

    [Benchmark(Description = "server-like context: UseAbortLab, an endpoint that yields once")]
    public Task ServerLikeYielding() => _yielding(NewServerLikeContext());

    [Benchmark(Description = "server-like context: UseAbortLab, an endpoint that yields once, tagged (the rig's): its code followed")]
    public Task ServerLikeYieldingTagged() => _yielding(NewServerLikeContext(tagged: true));

    [Benchmark(Description = "app: Request Timeouts + HttpClient call, bare")]
    public Task AppBare() => _appBare(NewServerLikeContext());

    [Benchmark(Description = "app: UseAbortLab + Request Timeouts + propagating HttpClient + one tracked work")]
    public Task AppWithAbortLab() => _appWithAbortLab(NewServerLikeContext());

    private static async Task CallBackendAsync(HttpClient client, HttpContext context)
    {
        using var response = await client.GetAsync("http://backend.invalid/item", context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
    }

    private static DefaultHttpContext NewContext(string path = "/small")
    {
        var context = new DefaultHttpContext();
        Describe(context.Request, path);
        return context;
    }

    // As a server hands a request over: its lifetime feature set, the collection sized for what middleware adds.
    private static DefaultHttpContext NewServerLikeContext(bool tagged = false)
    {
        var features = new FeatureCollection(initialCapacity: 12);
        features.Set<IHttpRequestFeature>(new HttpRequestFeature());
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(Stream.Null));
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature());
        var context = new DefaultHttpContext(features);
        Describe(context.Request);
        if (tagged)
        {
            context.Request.QueryString = new QueryString("?abortlab-tag=bench");
        }

        return context;
    }

    private static void Describe(HttpRequest request, string path = "/small")
    {
        request.Method = "GET";
        request.Path = path;
        request.Protocol = "HTTP/1.1";
    }

    private RequestDelegate Pipeline(Action<IApplicationBuilder>? configure, RequestDelegate endpoint, IServiceProvider? services = null)
    {
        var app = new ApplicationBuilder(services ?? _services);
        configure?.Invoke(app);
        app.Run(endpoint);
        return app.Build();
    }

    private sealed class AnswerOkHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request });
    }
}
