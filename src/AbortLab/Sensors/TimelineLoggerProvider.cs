using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AbortLab.Sensors;

/// <summary>
/// Records every log entry of <see cref="SensorOptions.MinimumLogLevel"/> and above on the timeline of the request it
/// was written for, whoever wrote it: the app, EF Core, Kestrel. The rig fails an abort that was logged as an error.
/// </summary>
/// <remarks>
/// ASP.NET Core's hosting starts an <c>Activity</c> and a log scope for every request as soon as any logger of its
/// category <see cref="HostingDiagnosticsCategory"/> is enabled. That category writes nothing at Warning or above while
/// a request runs, so this provider declines it: AbortLab alone never makes hosting pay for them.
/// </remarks>
[ProviderAlias("AbortLab")]
internal sealed class TimelineLoggerProvider(Func<SensorOptions> options) : ILoggerProvider
{
    internal const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public ILogger CreateLogger(string categoryName) =>
        string.Equals(categoryName, HostingDiagnosticsCategory, StringComparison.Ordinal)
            ? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance
            : new TimelineLogger(categoryName, options);

    public void Dispose()
    {
    }

    private sealed class TimelineLogger(string category, Func<SensorOptions> options) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel)
        {
            if (logLevel == LogLevel.None)
            {
                return false;
            }

            try
            {
                var sensors = options();
                return sensors.RecordLogs && logLevel >= sensors.MinimumLogLevel;
            }
            catch (OptionsValidationException)
            {
                // The host is failing to start over these very options; its log of that must not fail in turn.
                return false;
            }
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel) || RequestTimelineLocator.Current(exception) is not { } timeline)
            {
                return;
            }

            timeline.RecordLog(logLevel, category, eventId, formatter(state, exception), exception?.GetType().Name);
        }
    }
}
