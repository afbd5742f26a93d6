using AbortLab.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Maps AbortLab's diagnostics API and dashboard.
/// </summary>
public static class AbortLabEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the diagnostics under <paramref name="prefix"/>: the dashboard at <c>{prefix}/</c>, and
    /// <c>{prefix}/api/requests</c>, <c>{prefix}/api/requests/{id}</c>, <c>{prefix}/api/stream</c> (Server-Sent Events),
    /// <c>{prefix}/api/connections</c>, <c>{prefix}/api/sockets</c>, <c>{prefix}/api/process</c> (CPU per thread, child
    /// processes and outbound connections, as the operating system reports them) and <c>{prefix}/api/shutdown</c> (the last graceful
    /// shutdown's report). They answer loopback clients only, unless an
    /// authorization policy is added to the returned builder (<c>RequireAuthorization</c>). Requests to them are not
    /// recorded on timelines.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder.</param>
    /// <param name="prefix">The path prefix; defaults to <c>/abortlab</c>.</param>
    /// <returns>A builder for the whole group, for authorization and other conventions.</returns>
    /// <exception cref="InvalidOperationException"><c>AddAbortLab</c> was not called on the services.</exception>
    public static IEndpointConventionBuilder MapAbortLab(this IEndpointRouteBuilder endpoints, string prefix = "/abortlab")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        var paths = endpoints.ServiceProvider.GetService<DiagnosticsPaths>() ?? throw new InvalidOperationException(
            "Unable to find the required services. Add them by calling 'services.AddAbortLab()' before calling 'app.MapAbortLab()'.");
        var root = new PathString(prefix.TrimEnd('/'));
        paths.Add(root);

        var group = endpoints.MapGroup(root);
        group.AddEndpointFilter<DiagnosticsAccessFilter>();
        group.MapGet("/api/requests", DiagnosticsEndpoints.GetRequests);
        group.MapGet("/api/requests/{id}", DiagnosticsEndpoints.GetRequest);
        group.MapGet("/api/stream", (HttpContext context, DiagnosticsEventStream stream) => stream.StreamAsync(context));
        group.MapGet("/api/connections", DiagnosticsEndpoints.GetConnections);
        group.MapGet("/api/sockets", DiagnosticsEndpoints.GetSockets);
        group.MapGet("/api/process", DiagnosticsEndpoints.GetProcess);
        group.MapGet("/api/shutdown", DiagnosticsEndpoints.GetShutdown);
        // Routing matches "/abortlab" and "/abortlab/" alike; the page's relative URLs need the slash.
        group.MapGet("/", (Func<HttpContext, Task<IResult>>)(context => context.Request.Path.Value?.EndsWith('/') == true
            ? DashboardFiles.ServeAsync(context, null)
            : Task.FromResult(Results.Redirect(context.Request.PathBase + context.Request.Path + "/"))));
        group.MapGet("/{file}", (HttpContext context, string file) => DashboardFiles.ServeAsync(context, file));
        return group;
    }
}
