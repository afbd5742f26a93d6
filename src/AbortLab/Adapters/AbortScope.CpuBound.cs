namespace AbortLab;

public sealed partial class AbortScope
{
    /// <summary>
    /// Runs CPU-bound <paramref name="work"/> on the thread pool as tracked work, handing it an
    /// <see cref="AbortCheckpoint"/> over the scope's token.
    /// </summary>
    /// <typeparam name="T">The type of the work's result.</typeparam>
    /// <param name="name">A short name for the work.</param>
    /// <param name="work">The loop; it calls <see cref="AbortCheckpoint.Check"/> once per iteration.</param>
    /// <param name="stride">How many iterations pass between two looks at the token.</param>
    /// <returns>The work's result.</returns>
    /// <exception cref="OperationCanceledException">The scope was aborted.</exception>
    public Task<T> RunCpuBoundAsync<T>(string name, Func<AbortCheckpoint, T> work, int stride = 1024)
    {
        ArgumentNullException.ThrowIfNull(work);
        var checkpoint = new AbortCheckpoint(Token, stride);
        return RunAsync(name, token => Task.Run(() => work(checkpoint), token));
    }
}
