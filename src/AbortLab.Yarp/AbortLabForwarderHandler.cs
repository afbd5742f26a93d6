using System.Diagnostics;
using AbortLab.Integration;

namespace AbortLab.Yarp;

/// <summary>
/// Sits in front of YARP's upstream client: starts the forward's tracked work on the proxy's timeline, and passes
/// the trace id on (<c>traceparent</c>) when no <see cref="Activity"/> does it already, so every hop's timeline
/// shares it. YARP already links <c>HttpContext.RequestAborted</c>, which AbortLab makes the scope's own token. An SSE
/// or WebSocket response is read through a <see cref="GoodbyeStream"/>, so that the proxy's shutdown tells its client.
/// </summary>
internal sealed class AbortLabForwarderHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var scope = AbortScope.Current;
        if (scope?.GetHttpContext() is not { } context)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        // An Activity propagates itself (DistributedContextPropagator); without one the hop would start a new trace.
        if (Activity.Current is null && !request.Headers.Contains(AbortScopeIntegrationExtensions.TraceParentHeaderName))
        {
            request.Headers.TryAddWithoutValidation(AbortScopeIntegrationExtensions.TraceParentHeaderName, scope.GetTraceParent());
        }

        // Ended by YarpAbortIntegration once the proxy's pipeline is over, with YARP's own error name.
        ForwardWork.Put(context, scope.Track($"forward {request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Path)}"));
        var response = await base.SendAsync(request, cancellationToken);
        ProxiedStream.WrapIfStream(request, response, scope, context);
        return response;
    }
}
