using System.Diagnostics;
using AbortLab.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace AbortLab.Hosting;

internal sealed partial class AbortLabMiddleware
{
    private RequestDescription Describe(HttpContext context, AbortLabOptions options, Activity? activity, ConnectionTracker? connection)
    {
        var request = context.Request;
        return new RequestDescription(
            TraceIdOf(activity, request),
            _hop.Value,
            TagOf(request, options),
            request.Method,
            QueryRedaction.PathOf(request, options),
            request.Protocol,
            connection?.ConnectionId ?? context.Features.Find<IHttpConnectionFeature>()?.ConnectionId);
    }

    // Null when the request brought none: the timeline makes one only if someone asks (see LiveTimeline.TraceId).
    private static string? TraceIdOf(Activity? activity, HttpRequest request)
    {
        if (activity is { IdFormat: ActivityIdFormat.W3C })
        {
            return activity.TraceId.ToHexString();
        }

        var header = request.Headers.TraceParent;
        return header.Count == 0 ? null : TraceParent.TraceIdOf(header.ToString());
    }

    private static string? TagOf(HttpRequest request, AbortLabOptions options)
    {
        if (request.Headers.TryGetValue(options.TagHeaderName, out var header) && !StringValues.IsNullOrEmpty(header))
        {
            return header.ToString();
        }

        // The query collection is parsed (and its feature made) only when there is a query string.
        return request.QueryString.HasValue && request.Query.TryGetValue(options.TagQueryParameter, out var query) && !StringValues.IsNullOrEmpty(query)
            ? query.ToString()
            : null;
    }
}
