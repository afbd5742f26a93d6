using AbortLab.Hosting;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AbortLab.Testing;

/// <summary>
/// The middleware built directly over a pipeline, for unit tests that need no sockets.
/// </summary>
internal sealed class MiddlewareHarness : IDisposable
{
    private readonly ServiceProvider _services;

    /// <summary>AbortLab's services alone, for tests of scopes and their watchers without a pipeline.</summary>
    public MiddlewareHarness(Action<AbortLabOptions>? configure = null, TimeProvider? timeProvider = null)
        : this(static _ => Task.CompletedTask, configure, timeProvider)
    {
    }

    public MiddlewareHarness(RequestDelegate endpoint, Action<AbortLabOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton(timeProvider ?? new FakeTimeProvider());
        services.AddSingleton<IHostApplicationLifetime>(new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance));
        services.AddAbortLab(options =>
        {
            options.HopName = "unit";

            // The fake clock stands still unless a test moves it: one second's budget would be all there ever is.
            options.RecordedRequestsPerSecond = 10_000_000;
            configure?.Invoke(options);
        });
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });

        var app = new ApplicationBuilder(_services);
        app.UseAbortLab();
        app.Run(endpoint);
        Pipeline = app.Build();
    }

    public RequestDelegate Pipeline { get; }

    public TimelineStore Store => _services.GetRequiredService<TimelineStore>();

    public AbortScopeFactory Factory => _services.GetRequiredService<AbortScopeFactory>();

    public LiveScopeRegistry Scopes => _services.GetRequiredService<LiveScopeRegistry>();

    public IServiceProvider Services => _services;

    /// <summary>A scope made by the real factory, as the middleware would make it, outside any request.</summary>
    public AbortScope NewScope(string hop = "unit") =>
        Factory.Create(new RequestDescription("t", hop, null, "GET", "/", "HTTP/1.1", null), null, null);

    public static DefaultHttpContext NewContext(string path = "/", string? query = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = path;
        context.Request.Protocol = "HTTP/1.1";
        if (query is not null)
        {
            context.Request.QueryString = new QueryString(query);
        }

        return context;
    }

    public void Dispose() => _services.Dispose();
}
