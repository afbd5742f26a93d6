using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace AbortLab;

/// <summary>
/// The handlers of the diagnostics API.
/// </summary>
internal static class DiagnosticsEndpoints
{
    private const int DefaultLimit = 100;

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

        var requests = store.GetRecent(new TimelineQuery { Tag = Empty(tag), Hop = Empty(hop), TraceId = Empty(traceId), Limit = count });
        return Results.Json(new { requests, lastSequence = store.LastSequence }, DiagnosticsJson.Options);
    }

    public static IResult GetRequest(TimelineStore store, string id)
    {
        return store.Find(id) is { } timeline
            ? Results.Json(timeline, DiagnosticsJson.Options)
            : Results.Problem(title: "Unknown request", detail: $"No timeline '{id}' in the store (it may have been dropped: the store keeps the newest {store.Capacity}).", statusCode: StatusCodes.Status404NotFound);
    }

    public static IResult GetConnections(TimelineStore store)
    {
        var connections = store.OpenConnections
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
    public static IResult GetProcess(TimelineStore store, AbortScopeFactory scopes, TimeProvider time) =>
        Results.Json(ProcessSensor.Read(store, scopes.LiveCount, time), DiagnosticsJson.Options);

    public static IResult GetSockets()
    {
        var report = SocketTable.Read();
        var totals = report.Ports.SelectMany(p => p.States).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Sum(s => s.Value));
        return Results.Json(new { supported = report.Supported, ports = report.Ports, totals }, DiagnosticsJson.Options);
    }

    /// <summary>
    /// Server-Sent Events of timeline events, <c>id:</c> being the sequence number. A client reconnecting with
    /// <c>Last-Event-ID</c> (EventSource does it by itself) gets every event it missed that the ring still holds.
    /// </summary>
    public static async Task StreamAsync(HttpContext context, TimelineStore store, IHostApplicationLifetime lifetime)
    {
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        if (string.IsNullOrEmpty(lastEventId))
        {
            lastEventId = context.Request.Query["lastEventId"].ToString();
        }

        long after = 0;
        if (lastEventId.Length > 0 && (!long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 0))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await Results.Problem(title: "Invalid Last-Event-ID", detail: "Last-Event-ID must be a sequence number.", statusCode: 400).ExecuteAsync(context);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            await response.WriteAsync("retry: 1000\n\n", stop.Token);
            await response.Body.FlushAsync(stop.Token);

            // Straight into the response's pipe, and one flush per burst rather than per event: a followed stream
            // must not cost every request of a busy server a syscall and a string (the overhead benchmark measures it).
            var writer = response.BodyWriter;
            await using var json = new Utf8JsonWriter(writer);
            await foreach (var timelineEvent in store.ReadEventsAsync(after, stop.Token))
            {
                WriteEvent(writer, json, timelineEvent, store);
                if (store.LastSequence <= timelineEvent.Sequence)
                {
                    await writer.FlushAsync(stop.Token);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The dashboard left, or the host is stopping: the stream is over.
        }
    }

    private static void WriteEvent(PipeWriter writer, Utf8JsonWriter json, TimelineEvent timelineEvent, TimelineStore store)
    {
        writer.Write(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"id: {timelineEvent.Sequence}\nevent: {JsonNamingPolicy.CamelCase.ConvertName(timelineEvent.Kind.ToString())}\ndata: ")));
        json.Reset(writer);
        JsonSerializer.Serialize(
            json,
            new
            {
                sequence = timelineEvent.Sequence,
                kind = timelineEvent.Kind,
                timestamp = timelineEvent.Timestamp,
                requestId = timelineEvent.RequestId,
                hop = timelineEvent.Hop,
                reason = timelineEvent.Reason,
                workName = timelineEvent.WorkName,
                workOutcome = timelineEvent.WorkOutcome,
                statusCode = timelineEvent.StatusCode,
                timeline = store.Find(timelineEvent.RequestId),
            },
            DiagnosticsJson.Options);
        json.Flush();
        writer.Write("\n\n"u8);
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
