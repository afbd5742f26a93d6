using Microsoft.AspNetCore.Http;

namespace AbortLab.Lab;

/// <summary>
/// Answers only requests whose <c>Host</c> names the lab (<see cref="LabOptions.HostNames"/>): a page on a name an
/// attacker points at 127.0.0.1 (DNS rebinding) is same-origin with itself and could otherwise drive every endpoint
/// of a lab running on the user's machine. Anything else gets a 400 problem before anything runs.
/// </summary>
internal sealed class HostCheckMiddleware(RequestDelegate next, IReadOnlyList<string> hostNames)
{
    public Task InvokeAsync(HttpContext context)
    {
        var host = context.Request.Host.Host;
        foreach (var name in hostNames)
        {
            var matches = name.StartsWith("*.", StringComparison.Ordinal)
                ? host.EndsWith(name[1..], StringComparison.OrdinalIgnoreCase)
                : string.Equals(host, name, StringComparison.OrdinalIgnoreCase);
            if (matches)
            {
                return next(context);
            }
        }

        return Results.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Unknown host",
            detail: "This lab answers only its own host names (Lab:AllowedHosts adds more).").ExecuteAsync(context);
    }
}
