using AbortLab.Diagnostics;
using AbortLab.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AbortLab.Lab;

/// <summary>
/// Keeps the lab's admin endpoints out of other sites' reach, under the diagnostics' own rule: the request must come
/// from this machine with a <c>Host</c> that names it (a page on a rebinding name such as <c>127.0.0.1.nip.io</c> is
/// same-origin with itself, so an Origin check alone lets it in), through no proxy; it must carry the
/// <c>X-AbortLab-Admin</c> header (a cross-site form cannot set one, and a cross-site script cannot without a CORS
/// preflight, which the lab never grants); and an <c>Origin</c>, when sent, must be the lab's own.
/// </summary>
internal sealed class AdminRequestFilter : IEndpointFilter
{
    public const string HeaderName = "X-AbortLab-Admin";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        var allowedHosts = http.RequestServices.GetRequiredService<IOptionsMonitor<AbortLabOptions>>().CurrentValue.Diagnostics.AllowedHosts;
        if (LocalRequestRule.Refusal(http, allowedHosts) is { } why)
        {
            return Refuse($"An admin request must come from this machine, to a host name of this machine: {why}.");
        }

        if (!request.Headers.ContainsKey(HeaderName))
        {
            return Refuse($"An admin request must carry the {HeaderName} header.");
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase))
        {
            return Refuse("An admin request must come from the lab's own page.");
        }

        return next(context);
    }

    private static ValueTask<object?> Refuse(string detail) =>
        ValueTask.FromResult<object?>(Results.Problem(title: "Admin request refused", detail: detail, statusCode: StatusCodes.Status403Forbidden));
}
