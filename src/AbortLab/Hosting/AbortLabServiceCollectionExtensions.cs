using AbortLab;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers AbortLab's services.
/// </summary>
public static class AbortLabServiceCollectionExtensions
{
    /// <summary>
    /// Adds AbortLab's services with the default options.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddAbortLab(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddCore(services);
        return services;
    }

    /// <summary>
    /// Adds AbortLab's services and configures its options.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddAbortLab(this IServiceCollection services, Action<AbortLabOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services).Configure(configure);
        return services;
    }

    /// <summary>
    /// Adds AbortLab's services and binds its options to a configuration section.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section, such as <c>Configuration.GetSection("AbortLab")</c>.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddAbortLab(this IServiceCollection services, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        AddCore(services).Bind(section);
        return services;
    }

    private static OptionsBuilder<AbortLabOptions> AddCore(IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AbortLabMarkerService>();
        services.TryAddSingleton<AbortLabMetrics>();
        // A store the program registered (shared by several hosts in one process) takes precedence.
        var shared = services.LastOrDefault(static d => d.ServiceType == typeof(IAbortTimelineStore) && d.ImplementationInstance is not null)?.ImplementationInstance;
        if (shared is not null)
        {
            services.TryAddSingleton(shared as TimelineStore ?? throw new InvalidOperationException(
                "AbortLab records into a store made by AbortTimelineStore.Create(...): register that instance as IAbortTimelineStore, or none."));
        }

        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<AbortLabOptions>>().Value;
            return new TimelineStore(options.TimelineCapacity, options.EventCapacity);
        });
        services.TryAddSingleton<IAbortTimelineStore>(static provider => provider.GetRequiredService<TimelineStore>());
        services.TryAddSingleton(static provider => new AbortScopeFactory(
            provider.GetRequiredService<TimelineStore>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<AbortLabMetrics>(),
            provider.GetRequiredService<ILoggerFactory>(),
            provider.GetService<IHostApplicationLifetime>(),
            provider.GetRequiredService<IOptionsMonitor<AbortLabOptions>>()));
        services.TryAddSingleton(static provider => new ConnectionRegistry(
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILoggerFactory>(),
            provider.GetRequiredService<TimelineStore>()));
        services.TryAddSingleton<StalledUploadMonitor>();
        services.TryAddSingleton<DiagnosticsPaths>();
        services.TryAddSingleton<DiagnosticsEventStream>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, TimelineLoggerProvider>());
        services.TryAddSingleton<BackgroundWorkQueue>();
        services.TryAddSingleton<IBackgroundWorkQueue>(static provider => provider.GetRequiredService<BackgroundWorkQueue>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BackgroundWorkQueue>(static provider => provider.GetRequiredService<BackgroundWorkQueue>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ShutdownCoordinator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AbortLabOptions>, AbortLabOptionsValidator>());

        return services.AddOptionsWithValidateOnStart<AbortLabOptions>()
            .Validate(
                static options => options.StalledUploads.SpoolDirectory is null || Directory.Exists(options.StalledUploads.SpoolDirectory),
                "AbortLabOptions.StalledUploads.SpoolDirectory must name a folder that exists.");
    }
}
