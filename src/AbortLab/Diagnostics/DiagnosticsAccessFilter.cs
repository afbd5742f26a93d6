using System.Net;
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
    // The headers that proxies and CDNs use to pass the client on. UseForwardedHeaders removes the ones it applied.
    private static readonly string[] ProxyHeaders =
    [
        "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Real-IP",
        "X-Client-IP", "X-Cluster-Client-IP", "True-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP", "Via",
    ];

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        AddSecurityHeaders(http.Response);
        if (http.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>() is not null)
        {
            return next(context);
        }

        if (Refusal(http, options()) is not { } why)
        {
            return next(context);
        }

        DiagnosticsLog.DiagnosticsRefused(logger, http.Request.Path, why);
        return ValueTask.FromResult<object?>(Results.Problem(statusCode: StatusCodes.Status404NotFound));
    }

    private static string? Refusal(HttpContext http, DiagnosticsOptions diagnostics)
    {
        if (!IsLocal(http.Connection.RemoteIpAddress))
        {
            return "the client is not on this machine";
        }

        foreach (var header in ProxyHeaders)
        {
            if (http.Request.Headers.ContainsKey(header))
            {
                return $"it came through a proxy ({header}); use RequireAuthorization to open the diagnostics to it";
            }
        }

        return IsAllowedHost(http.Request.Host.Host, diagnostics.AllowedHosts)
            ? null
            : "its Host header does not name this machine (add the name to AbortLabOptions.Diagnostics.AllowedHosts)";
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

    // No IP address: a Unix domain socket or a named pipe, local by nature.
    private static bool IsLocal(IPAddress? address) =>
        address is null || IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static bool IsAllowedHost(string host, IList<string> allowed)
    {
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var name in allowed)
        {
            if (string.Equals(host, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
