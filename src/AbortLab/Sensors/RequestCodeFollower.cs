namespace AbortLab.Sensors;

/// <summary>
/// Follows the code that runs for a request wherever its execution context takes it: continuations, timer callbacks,
/// thread-pool items and new threads all carry the context, and a value-change handler of an <see cref="AsyncLocal{T}"/>
/// sees each of them arrive on a thread and leave it. The request's timeline keeps, after its abort, which threads
/// still ran its code, from where and until when. Only followed requests (tagged, the rig's) set the value: any other
/// request pays nothing.
/// </summary>
internal static class RequestCodeFollower
{
    private static readonly AsyncLocal<FollowedCode?> Followed = new(OnChanged);

    /// <summary>Follows the calling code and everything it starts; called by the middleware, inside its own async method.</summary>
    public static void Follow(LiveTimeline timeline) => Followed.Value = new FollowedCode(timeline, null);

    /// <summary>Runs a callback the server calls outside the request's context (a response-completion callback) as the request's code.</summary>
    public static async Task RunAsync(LiveTimeline timeline, Func<object, Task> callback, object state)
    {
        // Set inside an async method: the caller's context is restored when it returns.
        // The origin travels with the value: every continuation of the callback is known to come from it.
        Followed.Value = new FollowedCode(timeline, "a response-completion callback");
        await callback(state);
    }

    private static void OnChanged(AsyncLocalValueChangedArgs<FollowedCode?> change)
    {
        if (ReferenceEquals(change.PreviousValue, change.CurrentValue))
        {
            return;
        }

        // The runtime ends the process if a change handler throws: a sensor must lose a record rather than the app.
        try
        {
            var threadId = Environment.CurrentManagedThreadId;
            change.PreviousValue?.Timeline.CodeLeft(threadId);
            change.CurrentValue?.Timeline.CodeArrived(threadId, change.CurrentValue.Origin);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
        }
    }

    /// <summary>The followed request, and what started its code when that is known without reading a stack.</summary>
    private sealed record FollowedCode(LiveTimeline Timeline, string? Origin);
}
