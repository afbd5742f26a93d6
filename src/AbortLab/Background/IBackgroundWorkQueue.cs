namespace AbortLab.Background;

/// <summary>
/// A queue of background work run by a hosted service, whose lifetime is explicit: tied to the request that queued
/// it, or detached from it.
/// </summary>
public interface IBackgroundWorkQueue
{
    /// <summary>
    /// Queues <paramref name="work"/>; waits for room if the queue is full.
    /// </summary>
    /// <param name="name">A short name for the work.</param>
    /// <param name="work">The work; its token fires when the work must stop.</param>
    /// <param name="lifetime">Tied to the current request (the default) or detached from it.</param>
    /// <param name="cancellationToken">Stops waiting for room in the queue.</param>
    /// <returns>A task that completes when the work is queued (not when it has run).</returns>
    /// <exception cref="InvalidOperationException">
    /// <paramref name="lifetime"/> is <see cref="BackgroundWorkLifetime.Request"/> outside a request handled by
    /// AbortLab, or the host is stopping.
    /// </exception>
    ValueTask QueueAsync(string name, Func<CancellationToken, Task> work, BackgroundWorkLifetime lifetime = BackgroundWorkLifetime.Request, CancellationToken cancellationToken = default);
}
