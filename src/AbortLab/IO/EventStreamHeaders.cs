using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AbortLab.IO;

/// <summary>
/// What a Server-Sent Events response says before its first event: the one place both the SSE adapter and the
/// diagnostics event stream take it from.
/// </summary>
internal static class EventStreamHeaders
{
    public static void Apply(HttpContext context)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";

        // Nothing between server and client may keep or hold back events: no cache, no proxy buffering (nginx).
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }
}
