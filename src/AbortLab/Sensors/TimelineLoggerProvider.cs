using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AbortLab.Sensors;

/// <summary>
/// Records every log entry of <see cref="SensorOptions.MinimumLogLevel"/> and above on the timeline of the request it
/// was written for, whoever wrote it: the app, EF Core, Kestrel. The rig fails an abort that was logged as an error.
/// </summary>
[ProviderAlias("AbortLab")]
internal sealed class TimelineLoggerProvider(Func<SensorOptions> options) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new TimelineLogger(categoryName, options);

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
