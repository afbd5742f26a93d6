using System.Diagnostics;

namespace AbortLab;

/// <summary>
/// Links the current request's <see cref="AbortScope"/> into every outgoing request, even one sent with no token,
/// records the call as tracked work on the caller's timeline, and passes the trace id on when no
/// <see cref="Activity"/> does it already, so the next hop's timeline shares it. The request's tag travels on too, so
/// one tag finds the request on every hop.
/// </summary>
internal sealed class AbortPropagationHandler(string tagHeaderName) : DelegatingHandler
{
    private const string TraceParentHeader = "traceparent";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var scope = AbortScope.Current;
        if (scope is null)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        if (Activity.Current is null && !request.Headers.Contains(TraceParentHeader))
        {
            request.Headers.TryAddWithoutValidation(TraceParentHeader, $"00-{scope.Timeline.Request.TraceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        }

        if (scope.Timeline.Request.Tag is { } tag && !request.Headers.Contains(tagHeaderName))
        {
            request.Headers.TryAddWithoutValidation(tagHeaderName, tag);
        }

        using var linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, scope.Token)
            : null;
        var token = linked?.Token ?? scope.Token;

        // Ended by the response's content when its body ends, or here if no response comes.
        var work = scope.Track($"http {request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Path)}");
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

        response.Content = new AbortPropagatingContent(response.Content, scope, work);
        return response;
    }
}
