using Microsoft.AspNetCore.Http;

namespace AbortLab.Lab;

/// <summary>
/// Keeps the lab's admin endpoints out of other sites' reach: a request must carry the <c>X-AbortLab-Admin</c>
/// header (a cross-site form cannot set one, and a cross-site script cannot without a CORS preflight, which the lab
/// never grants), and an <c>Origin</c>, when sent, must be the lab's own.
/// </summary>
internal sealed class AdminRequestFilter : IEndpointFilter
{
    public const string HeaderName = "X-AbortLab-Admin";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
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
        ValueTask.FromResult<object?>(Results.Problem(title: "Cross-site admin request refused", detail: detail, statusCode: StatusCodes.Status403Forbidden));
}
