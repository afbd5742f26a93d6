namespace AbortLab.Lab;

/// <summary>
/// The CPU scenario's data set: loaded once, kept across queries, whatever happens to any one query.
/// </summary>
internal sealed class LabDataSet
{
    private readonly Lazy<int[]> _values = new(() => Enumerable.Range(0, 2_000_000).Select(i => (i * 7919) % 10_007).ToArray());
    private int _loads;

    public int[] Values
    {
        get
        {
            if (!_values.IsValueCreated)
            {
                Interlocked.Increment(ref _loads);
            }

            return _values.Value;
        }
    }

    public int Loads => _loads;
}
