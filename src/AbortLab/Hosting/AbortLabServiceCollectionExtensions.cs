using AbortLab;
using AbortLab.Background;
using AbortLab.Connections;
using AbortLab.Diagnostics;
using AbortLab.Hosting;
using AbortLab.Sensors;
using AbortLab.Shutdown;
using AbortLab.Telemetry;
using AbortLab.Timelines;
using AbortLab.Uploads;
using AbortLab.Zombies;
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
        services.TryAddSingleton<CurrentAbortLabOptions>();
        AddFeatureOptions(services, static o => o.StalledUploads);
        AddFeatureOptions(services, static o => o.Zombies);
        AddFeatureOptions(services, static o => o.BackgroundWork);
        AddFeatureOptions(services, static o => o.Sensors);
        AddFeatureOptions(services, static o => o.Diagnostics);
        AddFeatureOptions(services, static o => o.Shutdown);
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<CurrentAbortLabOptions>();
            return new HopName(() => options.Value.HopName, provider.GetService<IHostEnvironment>()?.ApplicationName);
        });

        // Timelines: a store the program registered (shared by several hosts in one process) takes precedence.
        var shared = services.LastOrDefault(static d => d.ServiceType == typeof(IAbortTimelineStore) && d.ImplementationInstance is not null)?.ImplementationInstance;
        if (shared is not null)
        {
            var store = shared as TimelineStore ?? throw new InvalidOperationException(
                "AbortLab records into a store made by AbortTimelineStore.Create(...): register that instance as IAbortTimelineStore, or none.");
            services.TryAddSingleton(store);
            services.TryAddSingleton(SharedOpenConnections.For(store));
        }

        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<AbortLabOptions>>().Value;
            return new TimelineStore(options.TimelineCapacity, options.EventCapacity);
        });
        services.TryAddSingleton<IAbortTimelineStore>(static provider => provider.GetRequiredService<TimelineStore>());
        services.TryAddSingleton<TimelineSink>();

        // Scopes and what reacts to their aborts.
        services.TryAddSingleton<LiveScopeRegistry>();
        services.TryAddSingleton<ZombieWatchdog>();
        services.TryAddSingleton<AbortEffects>();
        services.TryAddSingleton<AbortScopeFactory>();

        // Watchers.
        services.TryAddSingleton<OpenConnections>();
        services.TryAddSingleton<ConnectionRegistry>();
        services.TryAddSingleton<StalledUploadMonitor>();
        services.TryAddSingleton<DrainGate>();
        services.TryAddSingleton<ShutdownCoordinator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ShutdownCoordinator>(static provider => provider.GetRequiredService<ShutdownCoordinator>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, TimelineLoggerProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OperationSensorStarter>());

        // Adapters and diagnostics.
        services.TryAddSingleton<BackgroundWorkQueue>();
        services.TryAddSingleton<IBackgroundWorkQueue>(static provider => provider.GetRequiredService<BackgroundWorkQueue>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BackgroundWorkQueue>(static provider => provider.GetRequiredService<BackgroundWorkQueue>()));
        services.TryAddSingleton<DiagnosticsPaths>();
        services.TryAddSingleton<DiagnosticsEventStream>();

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AbortLabOptions>, AbortLabOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AbortLabOptions>, AbortLabOptionsRules>());
        return services.AddOptionsWithValidateOnStart<AbortLabOptions>();
    }

    // Each feature reads its own part of the options, and nothing else of them.
    private static void AddFeatureOptions<T>(IServiceCollection services, Func<AbortLabOptions, T> select)
        where T : class
    {
        services.TryAddSingleton<Func<T>>(provider =>
        {
            var options = provider.GetRequiredService<CurrentAbortLabOptions>();
            return () => select(options.Value);
        });
    }
}
