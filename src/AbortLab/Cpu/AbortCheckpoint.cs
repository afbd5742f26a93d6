namespace AbortLab.Cpu;

/// <summary>
/// A cooperative checkpoint for long CPU-bound loops: call <see cref="Check"/> once per iteration; every
/// <see cref="Stride"/> calls it looks at the abort token and throws if the work must stop. The loop stops within one
/// stride; whatever the work had loaded before it (a data set held elsewhere) stays where it is for the next query.
/// </summary>
public sealed class AbortCheckpoint
{
    private readonly CancellationToken _token;
    private long _passed;

    /// <summary>
    /// Creates a checkpoint over <paramref name="token"/>.
    /// </summary>
    /// <param name="token">The token whose cancellation stops the work.</param>
    /// <param name="stride">How many calls to <see cref="Check"/> pass between two looks at the token; from 1.</param>
    public AbortCheckpoint(CancellationToken token, int stride = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        _token = token;
        Stride = stride;
    }

    /// <summary>Gets how many calls pass between two looks at the token.</summary>
    public int Stride { get; }

    /// <summary>Gets how many times <see cref="Check"/> was called: the work's progress when it stopped.</summary>
    public long Passed => _passed;

    /// <summary>Gets the token the checkpoint watches.</summary>
    public CancellationToken Token => _token;

    /// <summary>
    /// Counts one iteration and, every <see cref="Stride"/> iterations, throws if the token fired.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token fired.</exception>
    public void Check()
    {
        if (++_passed % Stride == 0)
        {
            _token.ThrowIfCancellationRequested();
        }
    }
}
