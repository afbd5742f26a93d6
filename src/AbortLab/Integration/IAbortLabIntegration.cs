using Microsoft.AspNetCore.Http;

namespace AbortLab.Integration;

/// <summary>
/// How an integration package (AbortLab.Yarp, or a third party's) takes part in every request AbortLab's middleware
/// handles: it knows errors AbortLab's core cannot see, such as which side of a proxy hop failed. Register it with
/// <see cref="Microsoft.Extensions.DependencyInjection.AbortLabIntegrationServiceCollectionExtensions.AddAbortLabIntegration{TIntegration}"/>; the
/// middleware calls it on the request's thread, and it must not throw.
/// </summary>
public interface IAbortLabIntegration
{
    /// <summary>
    /// Names the reason when code calls <c>HttpContext.Abort()</c>, or returns null to leave it
    /// <see cref="AbortReason.Application"/>.
    /// </summary>
    /// <param name="context">The request whose connection was aborted.</param>
    /// <returns>The reason the integration knows, or <see langword="null"/>.</returns>
    AbortReason? ClassifyConnectionAbort(HttpContext context);

    /// <summary>
    /// Called when the pipeline has ended, whether or not it threw, before the status is recorded: the integration
    /// ends its tracked work, may abort the scope with the reason it knows, and may correct a status not yet sent
    /// (<c>AbortLabOptions.StatusCodeFor</c> gives the one AbortLab maps a reason to).
    /// </summary>
    /// <param name="context">The request, still live.</param>
    /// <param name="scope">The request's scope.</param>
    void OnPipelineEnded(HttpContext context, AbortScope scope);
}
