using AbortLab;
using AbortLab.Hosting;
using AbortLab.Propagation;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Propagates aborts into <see cref="HttpClient"/> calls.
/// </summary>
public static class AbortPropagationHttpClientBuilderExtensions
{
    /// <summary>
    /// Makes every request of this client stop when the current request's <see cref="AbortScope"/> is aborted, even
    /// when the calling code passed no token; records each call on the caller's timeline; and passes the trace id on
    /// (<c>traceparent</c>) when no <see cref="System.Diagnostics.Activity"/> does it already, and the request's tag
    /// (<see cref="AbortLabOptions.TagHeaderName"/>).
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IHttpClientBuilder AddAbortPropagation(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddHttpMessageHandler(static services => new AbortPropagationHandler(services.GetRequiredService<IOptions<AbortLabOptions>>().Value.TagHeaderName));
    }
}
