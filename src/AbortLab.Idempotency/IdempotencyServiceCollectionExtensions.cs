using AbortLab.Idempotency;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers <c>Idempotency-Key</c> support.
/// </summary>
public static class IdempotencyServiceCollectionExtensions
{
    /// <summary>
    /// Adds <c>Idempotency-Key</c> support with an in-memory store, unless an <see cref="IIdempotencyStore"/> is
    /// registered (for several processes, register a <see cref="SqliteIdempotencyStore"/> or a distributed store).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options, if given.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddIdempotency(this IServiceCollection services, Action<IdempotencyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IIdempotencyStore>(static provider => new InMemoryIdempotencyStore(provider.GetRequiredService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IdempotencyOptions>, IdempotencyOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, IdempotencyPurgeService>());
        var options = services.AddOptionsWithValidateOnStart<IdempotencyOptions>()
            .Validate(static o => o.Lease < o.Expiry, "IdempotencyOptions.Lease must be shorter than IdempotencyOptions.Expiry.");
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return services;
    }
}
