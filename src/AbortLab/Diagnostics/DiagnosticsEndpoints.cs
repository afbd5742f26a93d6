using System.Globalization;
using AbortLab.Connections;
using AbortLab.IO;
using AbortLab.Sensors;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Http;

namespace AbortLab.Diagnostics;

/// <summary>
/// The handlers of the diagnostics API.
/// </summary>
internal static class DiagnosticsEndpoints
{
    private const int DefaultLimit = 100;
    private const int MaxFilterLength = 256;

    public static IResult GetRequests(TimelineStore store, string? tag, string? hop, string? traceId, string? limit)
    {
        var count = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1 || count > TimelineQuery.MaxLimit))
        {
            return Results.Problem(
                title: "Invalid query",
                detail: $"'limit' must be a whole number from 1 to {TimelineQuery.MaxLimit}.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        if (InvalidFilter(("tag", tag), ("hop", hop), ("traceId", traceId)) is { } invalid)
        {
            return invalid;
        }

        if (!string.IsNullOrEmpty(traceId) && (traceId.Length != 32 || traceId.AsSpan().ContainsAnyExcept("0123456789abcdef")))
        {
            return Results.Problem(title: "Invalid query", detail: "'traceId' must be 32 lowercase hexadecimal digits.", statusCode: StatusCodes.Status400BadRequest);
        }

        var requests = store.GetRecent(new TimelineQuery { Tag = Empty(tag), Hop = Empty(hop), TraceId = Empty(traceId), Limit = count });
        var lastSequence = store.LastSequence;
        return Results.Json(new { requests, lastSequence, lastEventId = EventStreamCursor.IdOf(store, lastSequence) }, DiagnosticsJson.Options);
    }

    public static IResult GetRequest(TimelineStore store, string id)
    {
        return store.Find(id) is { } timeline
            ? Results.Json(timeline, DiagnosticsJson.Options)
            : Results.Problem(title: "Unknown request", detail: $"No timeline '{id}' in the store (it may have been dropped: the store keeps the newest {store.Capacity}).", statusCode: StatusCodes.Status404NotFound);
    }

    public static IResult GetConnections(ConnectionRegistry registry)
    {
        var connections = registry.Open
            .OrderBy(c => c.OpenedAt)
            .Select(c => new
            {
                connectionId = c.ConnectionId,
                hop = c.Hop,
                protocol = c.Protocol,
                openedAt = c.OpenedAt,
                activeRequests = c.ActiveRequests,
                requests = c.Timelines.Select(t => t.ToSnapshot()).ToArray(),
            })
            .ToArray();
        return Results.Json(new { connections }, DiagnosticsJson.Options);
    }

    public static IResult GetShutdown(TimelineStore store) => store.LastShutdownReport is { } report
        ? Results.Json(report, DiagnosticsJson.Options)
        : Results.Problem(title: "No shutdown yet", detail: "No graceful shutdown has been recorded in this store.", statusCode: StatusCodes.Status404NotFound);

    /// <summary>What the operating system says the process does: CPU per thread, child processes, outbound connections.</summary>
    public static IResult GetProcess(TimelineStore store, LiveScopeRegistry scopes, TimeProvider time) =>
        Results.Json(ProcessSensor.Read(store, scopes.Count, time), DiagnosticsJson.Options);

    public static IResult GetSockets()
    {
        var report = SocketTable.Read();
        var totals = report.Ports.SelectMany(p => p.States).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Sum(s => s.Value));
        return Results.Json(new { supported = report.Supported, ports = report.Ports, totals }, DiagnosticsJson.Options);
    }

    private static IResult? InvalidFilter(params ReadOnlySpan<(string Name, string? Value)> filters)
    {
        foreach (var (name, value) in filters)
        {
            if (value is not null && (value.Length > MaxFilterLength || value.AsSpan().ContainsAnyInRange('\u0000', '\u001f') || value.Contains('\uFFFD', StringComparison.Ordinal)))
            {
                return Results.Problem(
                    title: "Invalid query",
                    detail: $"'{name}' must be at most {MaxFilterLength} printable characters.",
                    statusCode: StatusCodes.Status400BadRequest);
            }
        }

        return null;
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
