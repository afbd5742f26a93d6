using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace AbortLab;

/// <summary>
/// Diagnostics show paths, tags and connection ids: they answer loopback clients only, unless the endpoints were
/// given an authorization policy (<c>MapAbortLab(...).RequireAuthorization(...)</c>).
/// </summary>
internal sealed class LoopbackOnlyFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>() is not null || IsLocal(http.Connection.RemoteIpAddress))
        {
            return next(context);
        }

        return ValueTask.FromResult<object?>(Results.Problem(
            title: "Diagnostics answer local clients only",
            detail: "Call MapAbortLab(...).RequireAuthorization(policy) to open them to authorized remote clients.",
            statusCode: StatusCodes.Status403Forbidden));
    }

    // No IP address: a Unix domain socket or a named pipe, local by nature.
    private static bool IsLocal(IPAddress? address) =>
        address is null || IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
