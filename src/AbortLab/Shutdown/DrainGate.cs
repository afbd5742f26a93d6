namespace AbortLab.Shutdown;

/// <summary>
/// Open until a graceful shutdown begins its drain; then new requests are refused, and counted.
/// </summary>
internal sealed class DrainGate
{
    private volatile bool _draining;
    private int _refused;

    public bool IsDraining => _draining;

    public int Refused => Volatile.Read(ref _refused);

    public void BeginDrain() => _draining = true;

    public void CountRefused() => Interlocked.Increment(ref _refused);
}
