using AbortLab;
using AbortLab.Integration;

internal static class IntegrationSnippets
{
    public static void Register(WebApplicationBuilder builder)
    {
        #region integration-register
        builder.Services.AddAbortLabIntegration<QueueClientIntegration>();   // adds AbortLab too, once
        #endregion
    }

    public static void UseTheScope(HttpRequestMessage outgoing, CancellationTokenSource goodbye)
    {
        #region integration-scope
        if (AbortScope.Current is { } scope)
        {
            outgoing.Headers.TryAddWithoutValidation(AbortScopeIntegrationExtensions.TraceParentHeaderName, scope.GetTraceParent());
            scope.MarkStream(tellOnShutdown: goodbye.Cancel);               // told first on graceful shutdown
            scope.Abort(AbortReason.UpstreamCanceled, AbortDetection.Code); // with what noticed it
        }
        #endregion
    }
}

#region integration-define
// A queue client's integration: its calls are the request's work, and a broker that hung up is the upstream's fault.
internal sealed class QueueClientIntegration : IAbortLabIntegration
{
    public AbortReason? ClassifyConnectionAbort(HttpContext context) =>
        context.Items.ContainsKey("queue-broker-lost") ? AbortReason.UpstreamCanceled : null;

    public void OnPipelineEnded(HttpContext context, AbortScope scope)
    {
        if (context.Items["queue-call"] is TrackedWork call)
        {
            call.End(scope.IsAborted ? WorkOutcome.Canceled : WorkOutcome.Completed, error: null);
        }
    }
}
#endregion
