using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace AbortLab.Yarp;

/// <summary>
/// Kestrel accepts a request header value in UTF-8, but the proxy's outgoing client sends only ASCII unless the
/// cluster names a <c>RequestHeaderEncoding</c>: it refuses the request, and YARP answers 502 as if the upstream had
/// failed. The mistake is the client's, so such a request is answered 400 problem details before it is forwarded.
/// </summary>
internal sealed class ClientHeaderCheck : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        // With an encoding configured, the client sends what Kestrel accepted.
        if (context.Cluster?.HttpClient?.RequestHeaderEncoding is null)
        {
            context.AddRequestTransform(RefuseNonAsciiHeadersAsync);
        }
    }

    private static ValueTask RefuseNonAsciiHeadersAsync(RequestTransformContext transform)
    {
        var context = transform.HttpContext;
        foreach (var (name, values) in context.Request.Headers)
        {
            foreach (var value in values)
            {
                if (value is not null && !System.Text.Ascii.IsValid(value))
                {
                    return RefuseAsync(context, name);
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    private static async ValueTask RefuseAsync(HttpContext context, string header)
    {
        // A status other than 200 tells YARP not to forward (a transform answered).
        await Results.Problem(
            title: "Request header not forwardable",
            detail: $"The value of the '{header}' header holds characters outside ASCII, which this proxy does not forward.",
            statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
    }
}
