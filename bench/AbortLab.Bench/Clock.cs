using System.Diagnostics;

namespace AbortLab.Bench;

internal static class Clock
{
    public static long Now => Stopwatch.GetTimestamp();

    public static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    /// <summary>Converts CLOCK_MONOTONIC nanoseconds (Node's <c>process.hrtime.bigint()</c>) to a Stopwatch timestamp.</summary>
    public static long FromMonotonicNanoseconds(long nanoseconds) =>
        Stopwatch.Frequency == 1_000_000_000 ? nanoseconds : (long)(nanoseconds / 1e9 * Stopwatch.Frequency);
}
