namespace AbortLab.Lab;

/// <summary>What a client may send with an order.</summary>
/// <param name="Item">The item ordered.</param>
internal sealed record LabOrderRequest(string? Item);
