namespace AbortLab.Testing;

/// <summary>
/// A one-shot event between a handler and the test, always awaited with a timeout.
/// </summary>
internal sealed class Signal<T>
{
    private readonly TaskCompletionSource<T> _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Set(T value) => _source.TrySetResult(value);

    public Task<T> WaitAsync() => _source.Task.WaitAsync(KestrelTestHost.WaitTimeout);

    public bool IsSet => _source.Task.IsCompleted;
}

internal sealed class Signal
{
    private readonly Signal<bool> _inner = new();

    public void Set() => _inner.Set(true);

    public Task WaitAsync() => _inner.WaitAsync();

    public bool IsSet => _inner.IsSet;
}
