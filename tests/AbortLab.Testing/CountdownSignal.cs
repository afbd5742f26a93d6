namespace AbortLab.Testing;

/// <summary>Set once <c>count</c> handlers have signalled; always awaited with a timeout.</summary>
internal sealed class CountdownSignal(int count)
{
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _one = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining = count;

    public void Signal()
    {
        _one.TrySetResult();
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _all.TrySetResult();
        }
    }

    public Task WaitAsync() => _all.Task.WaitAsync(TimeSpan.FromSeconds(30));

    public Task WaitOneAsync() => _one.Task.WaitAsync(KestrelTestHost.WaitTimeout);
}
