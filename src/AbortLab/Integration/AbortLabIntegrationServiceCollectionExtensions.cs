using AbortLab.Integration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers an integration package with AbortLab's middleware.
/// </summary>
public static class AbortLabIntegrationServiceCollectionExtensions
{
    /// <summary>
    /// Adds AbortLab's services, if not added yet, and <typeparamref name="TIntegration"/> as a singleton that the
    /// middleware calls for every request it handles. Adding the same integration twice registers it once.
    /// </summary>
    /// <typeparam name="TIntegration">The integration.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddAbortLabIntegration<TIntegration>(this IServiceCollection services)
        where TIntegration : class, IAbortLabIntegration
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAbortLab();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAbortLabIntegration, TIntegration>());
        return services;
    }
}
