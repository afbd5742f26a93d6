namespace AbortLab;

/// <summary>
/// An outgoing operation (an HTTP call, a database command) that code of a request started after the request had
/// been aborted: a side effect its client no longer waits for.
/// </summary>
public sealed class OperationRecord
{
    /// <summary>Gets where the operation was seen: an activity source such as <c>System.Net.Http</c> or <c>Npgsql</c>, or a diagnostic listener such as <c>Microsoft.EntityFrameworkCore</c>.</summary>
    public required string Source { get; init; }

    /// <summary>Gets what the operation was, named by its kind and verb, never its parameters (<c>db INSERT</c>, <c>http POST</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Gets when it started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>
    /// Gets the app's method that started it (the first frame outside .NET, ASP.NET Core and AbortLab, such as
    /// <c>ReportWriter.Run</c>), or <see langword="null"/> when the stack shows none.
    /// </summary>
    public string? StartedFrom { get; init; }
}
