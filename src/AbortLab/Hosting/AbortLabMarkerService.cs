namespace AbortLab.Hosting;

/// <summary>
/// Registered by <c>AddAbortLab</c> so that <c>UseAbortLab</c> can tell a missing registration apart.
/// </summary>
internal sealed class AbortLabMarkerService
{
}
