using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AbortLab.Bench;

/// <summary>
/// The per-request cost of AbortLab's middleware: creating a scope and a timeline (and recording its events),
/// against the same pipeline without it. No sockets: a fresh <see cref="DefaultHttpContext"/> per request.
/// </summary>
[MemoryDiagnoser]
public class ScopeCostBenchmarks
{
    private RequestDelegate _bare = null!;
    private RequestDelegate _withAbortLab = null!;
    private RequestDelegate _withTrackedWork = null!;
    private ServiceProvider _services = null!;

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddAbortLab(o => o.HopName = "bench");
        _services = services.BuildServiceProvider();

        _bare = Pipeline(null, static _ => Task.CompletedTask);
        _withAbortLab = Pipeline(static app => app.UseAbortLab(), static _ => Task.CompletedTask);
        _withTrackedWork = Pipeline(static app => app.UseAbortLab(), static context => context.GetAbortScope().RunAsync("work", static _ => Task.CompletedTask));
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true, Description = "bare pipeline")]
    public Task Bare() => _bare(NewContext());

    [Benchmark(Description = "UseAbortLab: scope + timeline")]
    public Task WithAbortLab() => _withAbortLab(NewContext());

    [Benchmark(Description = "UseAbortLab + one tracked work")]
    public Task WithTrackedWork() => _withTrackedWork(NewContext());

    private static DefaultHttpContext NewContext()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/small";
        context.Request.Protocol = "HTTP/1.1";
        return context;
    }

    private RequestDelegate Pipeline(Action<IApplicationBuilder>? configure, RequestDelegate endpoint)
    {
        var app = new ApplicationBuilder(_services);
        configure?.Invoke(app);
        app.Run(endpoint);
        return app.Build();
    }
}
