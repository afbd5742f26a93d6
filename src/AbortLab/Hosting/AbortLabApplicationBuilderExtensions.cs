using AbortLab;
using AbortLab.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Adds the AbortLab middleware to a pipeline.
/// </summary>
public static class AbortLabApplicationBuilderExtensions
{
    /// <summary>
    /// Adds the AbortLab middleware: every request after it runs under an <see cref="AbortScope"/>, and
    /// <c>HttpContext.RequestAborted</c> becomes the scope's token. Put it early, before <c>UseRouting</c>; a
    /// <c>UseRequestTimeouts</c> may stand before or after it.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <returns>The application builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException"><c>AddAbortLab</c> was not called on the services.</exception>
    public static IApplicationBuilder UseAbortLab(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ApplicationServices.GetService<AbortLabMarkerService>() is null)
        {
            throw new InvalidOperationException(
                "Unable to find the required services. Add them by calling 'services.AddAbortLab()' (for example " +
                "'builder.Services.AddAbortLab();') before calling 'app.UseAbortLab()'.");
        }

        return app.UseMiddleware<AbortLabMiddleware>();
    }
}
