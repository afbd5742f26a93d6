using AbortLab.Cpu;

namespace AbortLab;

/// <summary>Runs CPU-bound loops as tracked work of an <see cref="AbortScope"/>.</summary>
public static class AbortScopeCpuBoundExtensions
{
    /// <summary>
    /// Runs CPU-bound <paramref name="work"/> on a thread of its own as tracked work, handing it an
    /// <see cref="AbortCheckpoint"/> over the scope's token.
    /// </summary>
    /// <remarks>
    /// Not on the thread pool: Kestrel delivers client aborts through thread-pool callbacks, so long loops holding
    /// pool threads delay every abort in the process (seen on 2 cores: aborts recorded 2.5 s late).
    /// </remarks>
    /// <param name="scope">The scope the work belongs to.</param>
    /// <typeparam name="T">The type of the work's result.</typeparam>
    /// <param name="name">A short name for the work.</param>
    /// <param name="work">The loop; it calls <see cref="AbortCheckpoint.Check"/> once per iteration.</param>
    /// <param name="stride">How many iterations pass between two looks at the token.</param>
    /// <returns>The work's result.</returns>
    /// <exception cref="OperationCanceledException">The scope was aborted.</exception>
    public static Task<T> RunCpuBoundAsync<T>(this AbortScope scope, string name, Func<AbortCheckpoint, T> work, int stride = 1024)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(work);
        var checkpoint = new AbortCheckpoint(scope.Token, stride);
        return scope.RunAsync(name, token => Task.Factory.StartNew(() => work(checkpoint), token, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }
}
