using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AbortLab.Diagnostics;

/// <summary>
/// Diagnostics show paths, tags and connection ids. Without an authorization policy on the endpoints
/// (<c>MapAbortLab(...).RequireAuthorization(...)</c>) they answer a request only if it comes from this machine and
/// nothing says otherwise: a loopback peer, no proxy header (a proxy on the same host makes every client look local,
/// unless <c>UseForwardedHeaders</c> consumed them and the forwarded client is local too), and a <c>Host</c> that
/// names this machine (no DNS rebinding). Anything else gets a 404 that tells nothing. Every answer carries headers
/// that keep the dashboard out of frames and other origins' reach.
/// </summary>
internal sealed class DiagnosticsAccessFilter(Func<DiagnosticsOptions> options, ILogger<DiagnosticsAccessFilter> logger) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        AddSecurityHeaders(http.Response);
        if (http.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>() is not null)
        {
            return next(context);
        }

        if (LocalRequestRule.Refusal(http, options().AllowedHosts) is not { } why)
        {
            return next(context);
        }

        DiagnosticsLog.DiagnosticsRefused(logger, http.Request.Path, $"{why}; RequireAuthorization opens the diagnostics to other clients");
        return ValueTask.FromResult<object?>(Results.Problem(statusCode: StatusCodes.Status404NotFound));
    }

    private static void AddSecurityHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
    }
}
