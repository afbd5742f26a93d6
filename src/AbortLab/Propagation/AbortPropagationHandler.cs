using System.Diagnostics;

namespace AbortLab.Propagation;

/// <summary>
/// Links the current request's <see cref="AbortScope"/> into every outgoing request, even one sent with no token,
/// records the call as tracked work on the caller's timeline, and passes the trace id on when no
/// <see cref="Activity"/> does it already, so the next hop's timeline shares it. The request's tag travels on too, so
/// one tag finds the request on every hop.
/// </summary>
internal sealed class AbortPropagationHandler(string tagHeaderName) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var scope = AbortScope.Current;
        if (scope is null)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        using var linked = Prepare(request, scope, cancellationToken, out var token);
        var work = Track(request, scope);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, token);
        }
        catch (Exception exception)
        {
            work.Fail(exception);
            throw;
        }

        return Wrap(response, scope, work);
    }

    // HttpClient.Send (synchronous) comes here: the same scope, the same tracking, the same cancellation.
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var scope = AbortScope.Current;
        if (scope is null)
        {
            return base.Send(request, cancellationToken);
        }

        using var linked = Prepare(request, scope, cancellationToken, out var token);
        var work = Track(request, scope);
        HttpResponseMessage response;
        try
        {
            response = base.Send(request, token);
        }
        catch (Exception exception)
        {
            work.Fail(exception);
            throw;
        }

        return Wrap(response, scope, work);
    }

    private CancellationTokenSource? Prepare(HttpRequestMessage request, AbortScope scope, CancellationToken cancellationToken, out CancellationToken token)
    {
        // An Activity propagates itself (DistributedContextPropagator); without one the hop would start a new trace.
        if (Activity.Current is null && !request.Headers.Contains(TraceParent.HeaderName))
        {
            request.Headers.TryAddWithoutValidation(TraceParent.HeaderName, TraceParent.Continuing(scope.Timeline.TraceId));
        }

        if (scope.Timeline.Request.Tag is { } tag && !request.Headers.Contains(tagHeaderName))
        {
            request.Headers.TryAddWithoutValidation(tagHeaderName, tag);
        }

        var linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, scope.Token)
            : null;
        token = linked?.Token ?? scope.Token;
        return linked;
    }

    // Ended by the response's content when its body ends, or by the caller's catch if no response comes.
    private static TrackedWork Track(HttpRequestMessage request, AbortScope scope) =>
        scope.Track($"http {request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Path)}");

    private static HttpResponseMessage Wrap(HttpResponseMessage response, AbortScope scope, TrackedWork work)
    {
        response.Content = new AbortPropagatingContent(response.Content, scope, work);
        return response;
    }
}
