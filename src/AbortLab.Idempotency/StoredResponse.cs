namespace AbortLab.Idempotency;

/// <summary>
/// The response an idempotent request produced, kept to be replayed.
/// </summary>
/// <param name="StatusCode">The status code.</param>
/// <param name="ContentType">The content type, if any.</param>
/// <param name="Body">The body.</param>
public sealed record StoredResponse(int StatusCode, string? ContentType, byte[] Body);
