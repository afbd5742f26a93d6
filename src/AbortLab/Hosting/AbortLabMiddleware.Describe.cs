using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AbortLab;

internal sealed partial class AbortLabMiddleware
{
    private const string RedactedValue = "***";

    private RequestDescription Describe(HttpContext context, AbortLabOptions options, Activity? activity, ConnectionTracker? connection)
    {
        var request = context.Request;
        return new RequestDescription(
            TraceIdOf(activity, request),
            options.HopName ?? _defaultHop,
            TagOf(request, options),
            request.Method,
            PathOf(request, options),
            request.Protocol,
            connection?.ConnectionId ?? context.Connection.Id);
    }

    private static string TraceIdOf(Activity? activity, HttpRequest request)
    {
        if (activity is { IdFormat: ActivityIdFormat.W3C })
        {
            return activity.TraceId.ToHexString();
        }

        // traceparent: version "-" trace-id (32 hex) "-" parent-id (16 hex) "-" flags
        var traceParent = request.Headers.TraceParent.ToString();
        if (traceParent.Length >= 55 && traceParent[2] == '-' && traceParent[35] == '-' &&
            traceParent.AsSpan(3, 32).ContainsAnyExcept("0123456789abcdef") == false &&
            traceParent.AsSpan(3, 32).ContainsAnyExcept('0'))
        {
            return traceParent.Substring(3, 32);
        }

        return ActivityTraceId.CreateRandom().ToHexString();
    }

    private static string? TagOf(HttpRequest request, AbortLabOptions options)
    {
        if (request.Headers.TryGetValue(options.TagHeaderName, out var header) && !StringValues.IsNullOrEmpty(header))
        {
            return header.ToString();
        }

        return request.Query.TryGetValue(options.TagQueryParameter, out var query) && !StringValues.IsNullOrEmpty(query)
            ? query.ToString()
            : null;
    }

    private static string PathOf(HttpRequest request, AbortLabOptions options)
    {
        var path = (request.PathBase + request.Path).ToString();
        if (!request.QueryString.HasValue)
        {
            return path;
        }

        var query = request.QueryString.Value!;
        if (!options.RedactQueryString)
        {
            return path + query;
        }

        var builder = new StringBuilder(path).Append('?');
        var first = true;
        foreach (var range in query.AsSpan(1).Split('&'))
        {
            var parameter = query.AsSpan(1)[range];
            if (parameter.IsEmpty)
            {
                continue;
            }

            if (!first)
            {
                builder.Append('&');
            }

            first = false;
            var equals = parameter.IndexOf('=');
            var name = Decode(equals < 0 ? parameter : parameter[..equals]);
            if (IsShownInClear(name, options.QueryParametersShownInClear))
            {
                builder.Append(parameter);
            }
            else if (equals < 0)
            {
                // A parameter without a value may be a secret itself ("?sk_live_…").
                builder.Append(RedactedValue);
            }
            else
            {
                builder.Append(Uri.EscapeDataString(name)).Append('=').Append(RedactedValue);
            }
        }

        return builder.ToString();
    }

    private static string Decode(ReadOnlySpan<char> name) => Uri.UnescapeDataString(name.ToString().Replace('+', ' '));

    private static bool IsShownInClear(string name, IList<string> shownInClear)
    {
        for (var i = 0; i < shownInClear.Count; i++)
        {
            if (string.Equals(shownInClear[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
