namespace AbortLab;

/// <summary>
/// What a timeline says about the request itself, captured once when the request starts.
/// </summary>
internal readonly record struct RequestDescription(
    string? TraceId,
    string Hop,
    string? Tag,
    string Method,
    string Path,
    string Protocol,
    string? ConnectionId);
