using System.Net;
using Microsoft.AspNetCore.Http;

namespace AbortLab.Diagnostics;

/// <summary>
/// Whether a request certainly comes from this machine: a loopback peer, no proxy header (a proxy on the same host
/// makes every client look local, unless <c>UseForwardedHeaders</c> consumed them and the forwarded client is local
/// too), and a <c>Host</c> that names this machine, so that a page on a name the attacker controls, resolved to
/// 127.0.0.1 (DNS rebinding), is refused. One rule for every endpoint that must stay local.
/// </summary>
internal static class LocalRequestRule
{
    // The headers that proxies and CDNs use to pass the client on. UseForwardedHeaders removes the ones it applied.
    private static readonly string[] ProxyHeaders =
    [
        "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Real-IP",
        "X-Client-IP", "X-Cluster-Client-IP", "True-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP", "Via",
    ];

    /// <summary>Returns why the request is not certainly local, or <see langword="null"/> when it is.</summary>
    /// <param name="http">The request.</param>
    /// <param name="allowedHosts">Host names besides <c>localhost</c> and <c>*.localhost</c> that name this machine.</param>
    public static string? Refusal(HttpContext http, IList<string> allowedHosts)
    {
        if (!IsLocal(http.Connection.RemoteIpAddress))
        {
            return "the client is not on this machine";
        }

        foreach (var header in ProxyHeaders)
        {
            if (http.Request.Headers.ContainsKey(header))
            {
                return $"it came through a proxy ({header})";
            }
        }

        return IsAllowedHost(http.Request.Host.Host, allowedHosts)
            ? null
            : "its Host header does not name this machine (add the name to AbortLabOptions.Diagnostics.AllowedHosts)";
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
