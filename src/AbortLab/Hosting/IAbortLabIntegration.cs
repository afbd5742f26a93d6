using Microsoft.AspNetCore.Http;

namespace AbortLab.Hosting;

/// <summary>
/// How an integration package (AbortLab.Yarp) takes part in a request: it knows errors AbortLab's core cannot see,
/// such as which side of a proxy hop failed. Internal, shared with AbortLab's own packages only.
/// </summary>
internal interface IAbortLabIntegration
{
    /// <summary>
    /// Names the reason when code calls <c>HttpContext.Abort()</c>, or returns null to leave it
    /// <see cref="AbortReason.Application"/>.
    /// </summary>
    AbortReason? ClassifyConnectionAbort(HttpContext context);

    /// <summary>
    /// Called when the pipeline has ended, whether or not it threw, before the status is recorded: the integration
    /// ends its tracked work, may abort the scope with the reason it knows, and may correct a status not yet sent.
    /// </summary>
    void OnPipelineEnded(HttpContext context, AbortScope scope, AbortLabOptions options);
}
