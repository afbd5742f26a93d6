namespace AbortLab.Lab;

/// <summary>
/// The id of every log event of this package, in one place: ids are never reused, and a test checks that no two
/// events of any AbortLab package share one.
/// </summary>
internal static class EventIds
{
    /// <summary>Warning.</summary>
    public const int BackendFailed = 901;
}
