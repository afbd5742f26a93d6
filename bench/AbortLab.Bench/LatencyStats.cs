using System.Globalization;

namespace AbortLab.Bench;

/// <summary>Percentiles of a set of latencies in milliseconds; a missed sample is one the server never reported.</summary>
internal sealed record LatencyStats(int Count, int Missed, double? P50, double? P90, double? P99, double? Max)
{
    public static LatencyStats From(IReadOnlyCollection<double?> samples)
    {
        var seen = samples.Where(s => s is not null).Select(s => s!.Value).Order().ToArray();
        return new LatencyStats(
            samples.Count,
            samples.Count - seen.Length,
            Percentile(seen, 0.50),
            Percentile(seen, 0.90),
            Percentile(seen, 0.99),
            seen.Length == 0 ? null : seen[^1]);
    }

    public static string Format(double? ms) => ms switch
    {
        null => "-",
        < 1 => ms.Value.ToString("0.000", CultureInfo.InvariantCulture),
        < 100 => ms.Value.ToString("0.00", CultureInfo.InvariantCulture),
        _ => ms.Value.ToString("0", CultureInfo.InvariantCulture),
    };

    // Nearest-rank percentile.
    private static double? Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
