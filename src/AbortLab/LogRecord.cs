using Microsoft.Extensions.Logging;

namespace AbortLab;

/// <summary>
/// A log entry of <see cref="LogLevel.Warning"/> or above written while a request ran, or by the server for it once
/// its pipeline returned (Kestrel's "unhandled exception", an exception-logging middleware around AbortLab).
/// </summary>
public sealed class LogRecord
{
    /// <summary>Gets when the entry was written.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Gets the entry's level.</summary>
    public required LogLevel Level { get; init; }

    /// <summary>Gets the logger's category, such as <c>Microsoft.AspNetCore.Server.Kestrel</c>.</summary>
    public required string Category { get; init; }

    /// <summary>Gets the entry's event name, or its id when it has no name.</summary>
    public string? EventName { get; init; }

    /// <summary>Gets the formatted message, cut to 512 characters.</summary>
    public required string Message { get; init; }

    /// <summary>Gets the type of the exception logged with the entry, if any.</summary>
    public string? Exception { get; init; }
}
