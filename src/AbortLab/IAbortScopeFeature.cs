namespace AbortLab;

/// <summary>
/// The <see cref="AbortScope"/> of the current request, set on <c>HttpContext.Features</c> by the AbortLab middleware.
/// </summary>
public interface IAbortScopeFeature
{
    /// <summary>
    /// Gets the scope of the current request.
    /// </summary>
    AbortScope Scope { get; }
}
