namespace AbortLab.Bench;

/// <summary>Unique request ids across every scenario, so a late record never lands on another sample.</summary>
internal static class Ids
{
    private static int _next;

    public static int Next() => Interlocked.Increment(ref _next);
}
