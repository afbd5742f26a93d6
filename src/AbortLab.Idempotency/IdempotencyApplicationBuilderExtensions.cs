using AbortLab.Idempotency;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Adds <c>Idempotency-Key</c> support to a pipeline and marks endpoints that honour it.
/// </summary>
public static class IdempotencyApplicationBuilderExtensions
{
    /// <summary>
    /// Adds the idempotency middleware; put it after <c>UseRouting</c>. Only endpoints marked
    /// <see cref="WithIdempotency{TBuilder}(TBuilder)"/> are affected, and only requests that carry a key.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <returns>The application builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException"><c>AddIdempotency</c> was not called on the services.</exception>
    public static IApplicationBuilder UseIdempotency(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ApplicationServices.GetService<IIdempotencyStore>() is null)
        {
            throw new InvalidOperationException(
                "Unable to find the required services. Add them by calling 'services.AddIdempotency()' before calling 'app.UseIdempotency()'.");
        }

        return app.UseMiddleware<IdempotencyMiddleware>();
    }

    /// <summary>
    /// Marks the endpoint as honouring <c>Idempotency-Key</c>.
    /// </summary>
    /// <typeparam name="TBuilder">The type of the endpoint builder.</typeparam>
    /// <param name="builder">The endpoint builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static TBuilder WithIdempotency<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(static endpoint => endpoint.Metadata.Add(IdempotentEndpointMetadata.Instance));
        return builder;
    }
}
