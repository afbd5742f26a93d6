using AbortLab;

namespace Microsoft.AspNetCore.Http;

/// <summary>
/// Reads the <see cref="AbortScope"/> of a request.
/// </summary>
public static class AbortScopeHttpContextExtensions
{
    /// <summary>
    /// Gets the scope of the request.
    /// </summary>
    /// <param name="context">The request's context.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="InvalidOperationException">The request did not pass through <c>UseAbortLab()</c>, or its path is excluded (<c>AbortLabOptions.ExcludedPaths</c>).</exception>
    public static AbortScope GetAbortScope(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Find<IAbortScopeFeature>()?.Scope
            ?? throw new InvalidOperationException(
                "This request has no AbortScope: add 'app.UseAbortLab()' to the pipeline before the endpoint or middleware that asks for it, " +
                "and do not list its path in AbortLabOptions.ExcludedPaths.");
    }
}
