using AbortLab.Hosting;
using AbortLab.Integration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace AbortLab.Yarp;

/// <summary>
/// Reads YARP's <see cref="IForwarderErrorFeature"/> into the request's scope and timeline: the forward's outcome,
/// which side failed, and a status that says so. YARP answers 400 for any cancellation, including a route timeout
/// from the Request Timeouts middleware (dotnet/yarp#3037); this answers 504 for a timeout, records 499 for a client
/// that left, and keeps 502 for an upstream failure.
/// </summary>
internal sealed class YarpAbortIntegration(IOptionsMonitor<AbortLabOptions> options) : IAbortLabIntegration
{
    public AbortReason? ClassifyConnectionAbort(HttpContext context)
    {
        // YARP aborts the client connection when the upstream fails after the response started.
        return context.Features.Get<IForwarderErrorFeature>()?.Error is { } error && ForwarderErrorClassification.IsUpstreamSide(error)
            ? AbortReason.UpstreamCanceled
            : null;
    }

    private static BadHttpRequestException? RejectedBody(HttpContext context) => Find(context.Features.Get<IForwarderErrorFeature>()?.Exception, depth: 0);

    // Kestrel's rejection sits inside YARP's AggregateException, under HttpClient's and the stream's wrappers.
    private static BadHttpRequestException? Find(Exception? exception, int depth) => exception switch
    {
        null => null,
        _ when depth > 8 => null,
        BadHttpRequestException rejected => rejected,
        AggregateException aggregate => aggregate.InnerExceptions.Select(inner => Find(inner, depth + 1)).FirstOrDefault(found => found is not null),
        _ => Find(exception.InnerException, depth + 1),
    };

    public void OnPipelineEnded(HttpContext context, AbortScope scope)
    {
        // A forwarded stream ended by the proxy's goodbye was ended by the shutdown; its token fires only now, once
        // YARP is done with it.
        if (ProxiedStream.Find(context) is { IsTold: true })
        {
            scope.Abort(AbortReason.ServerShutdown, AbortDetection.Host);
        }

        var error = context.Features.Get<IForwarderErrorFeature>()?.Error ?? ForwarderError.None;
        var forward = ForwardWork.Take(context);
        if (error == ForwarderError.None)
        {
            forward?.End(scope.IsAborted ? WorkOutcome.Canceled : WorkOutcome.Completed, null);
            return;
        }

        // Kestrel refused the client's body (too slow: 408, too large: 413, malformed: 400) while YARP copied it, and
        // the connection shows the client still there: it gets Kestrel's answer, not a 499 for leaving. The same
        // exception ("unexpected end of request content") is also how a client that left mid-upload shows: only the
        // connection tells the two apart.
        if (!scope.IsAborted && !context.Response.HasStarted && RejectedBody(context) is { } rejected && !scope.AttributeToClientDeparture(rejected))
        {
            forward?.End(WorkOutcome.Faulted, error.ToString());
            context.Response.StatusCode = rejected.StatusCode;
            return;
        }

        if (!scope.IsAborted)
        {
            if (ForwarderErrorClassification.IsUpstreamSide(error))
            {
                scope.Abort(AbortReason.UpstreamCanceled, AbortDetection.Code);
            }
            else if (ForwarderErrorClassification.IsClientSide(error) || ForwarderErrorClassification.IsCancellation(error))
            {
                scope.Abort(AbortReason.ClientDisconnected, AbortDetection.Server);
            }
        }

        forward?.End(scope.Reason == AbortReason.UpstreamCanceled ? WorkOutcome.Faulted : WorkOutcome.Canceled, error.ToString());

        if (context.Response.HasStarted)
        {
            return;
        }

        // An application abort keeps the status YARP chose, and so does an upstream failure YARP already answered 5xx.
        if (scope.Reason is { } reason and not AbortReason.Application &&
            !(reason == AbortReason.UpstreamCanceled && context.Response.StatusCode >= 500))
        {
            context.Response.StatusCode = options.CurrentValue.StatusCodeFor(reason);
        }
    }
}
