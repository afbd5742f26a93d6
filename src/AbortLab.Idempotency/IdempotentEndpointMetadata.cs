namespace AbortLab.Idempotency;

/// <summary>Marks an endpoint whose requests honour <c>Idempotency-Key</c>.</summary>
internal sealed class IdempotentEndpointMetadata
{
    public static readonly IdempotentEndpointMetadata Instance = new();
}
