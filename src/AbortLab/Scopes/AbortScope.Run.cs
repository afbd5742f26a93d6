namespace AbortLab;

public sealed partial class AbortScope
{
    /// <summary>
    /// Runs <paramref name="work"/> as a tracked unit of work, passing it the scope's token, and records how it ended:
    /// Completed, Canceled (it threw a cancellation after the scope was aborted) or Faulted.
    /// </summary>
    /// <param name="name">A short name for the work.</param>
    /// <param name="work">The work to run.</param>
    /// <returns>A task that completes when the work does, with the work's own exception if it failed.</returns>
    public async Task RunAsync(string name, Func<CancellationToken, Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var tracked = Track(name);
        try
        {
            await work(Token);
            tracked.Complete();
        }
        catch (Exception exception)
        {
            tracked.End(exception);
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> as a tracked unit of work, passing it the scope's token, and records how it ended.
    /// </summary>
    /// <typeparam name="T">The type of the work's result.</typeparam>
    /// <param name="name">A short name for the work.</param>
    /// <param name="work">The work to run.</param>
    /// <returns>The work's result.</returns>
    public async Task<T> RunAsync<T>(string name, Func<CancellationToken, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var tracked = Track(name);
        try
        {
            var result = await work(Token);
            tracked.Complete();
            return result;
        }
        catch (Exception exception)
        {
            tracked.End(exception);
            throw;
        }
    }
}
