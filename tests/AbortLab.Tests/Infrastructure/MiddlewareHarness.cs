using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AbortLab.Tests.Infrastructure;

/// <summary>
/// The middleware built directly over a pipeline, for unit tests that need no sockets.
/// </summary>
internal sealed class MiddlewareHarness : IDisposable
{
    private readonly ServiceProvider _services;

    public MiddlewareHarness(RequestDelegate endpoint, Action<AbortLabOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton(timeProvider ?? new FakeTimeProvider());
        services.AddAbortLab(options =>
        {
            options.HopName = "unit";
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

    public AbortScopeFactory Scopes => _services.GetRequiredService<AbortScopeFactory>();

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
