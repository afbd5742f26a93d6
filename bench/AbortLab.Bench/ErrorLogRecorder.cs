using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AbortLab.Bench;

/// <summary>
/// Every log record at Error or above, from any category of any hop the provider is added to (EF Core, Kestrel,
/// ASP.NET Core, YARP, AbortLab, the app), as "category: message".
/// </summary>
internal sealed class ErrorLogRecorder : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _records = new();

    public int Count => _records.Count;

    public string? First => _records.TryPeek(out var first) ? first : null;

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Recorder(ErrorLogRecorder owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._records.Enqueue($"{category}: {formatter(state, exception)}{(exception is null ? string.Empty : $" ({exception.GetType().Name})")}");
            }
        }
    }
}
