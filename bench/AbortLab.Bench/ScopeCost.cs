namespace AbortLab.Bench;

/// <summary>What scenario 4b measured: mean time and bytes allocated per request, bare and with UseAbortLab.</summary>
internal sealed record ScopeCost(double BareNs, double AbortLabNs, double BareBytes, double AbortLabBytes);
