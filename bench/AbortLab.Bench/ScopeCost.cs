namespace AbortLab.Bench;

/// <summary>What scenario 4b measured: per pair of pipelines, mean time and bytes allocated per request, bare and with AbortLab.</summary>
internal sealed record ScopeCost(ScopeCostPair DefaultContext, ScopeCostPair? ServerLike, ScopeCostPair? App, ScopeCostPair? Excluded, ScopeCostPair? EveryRequestRecorded, IReadOnlyList<AllocationShare> AbortLabAllocations);

/// <summary>One pipeline measured without and with AbortLab.</summary>
internal sealed record ScopeCostPair(string Label, double BareNs, double AbortLabNs, double BareBytes, double AbortLabBytes)
{
    public double AddedNs => AbortLabNs - BareNs;

    public double AddedBytes => AbortLabBytes - BareBytes;

    public string Describe() => FormattableString.Invariant($"{Label} +{AddedNs:0} ns and +{AddedBytes:0} B ({AbortLabNs:0} vs {BareNs:0} ns, {AbortLabBytes:0} vs {BareBytes:0} B)");
}

/// <summary>A type the runtime's allocation sampling saw only with AbortLab, and the size of one instance.</summary>
internal sealed record AllocationShare(string Type, long? InstanceBytes)
{
    public override string ToString() => InstanceBytes is { } bytes ? $"{Type} ({bytes} B)" : Type;
}
