namespace AbortLab;

/// <summary>
/// Makes AbortLab's own timers and loops without the caller's execution context (as ASP.NET Core's
/// <c>NonCapturingTimer</c> does): one made while a request runs must not carry that request's context for as long as
/// it lives, nor look like the request's code running after its abort.
/// </summary>
internal static class NonCapturingTimer
{
    public static ITimer Create(TimeProvider clock, TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        using (SuppressFlow())
        {
            return clock.CreateTimer(callback, state, dueTime, period);
        }
    }

    /// <summary>Starts a long-lived loop without the caller's execution context.</summary>
    public static Task Run(Func<Task> loop)
    {
        using (SuppressFlow())
        {
            return Task.Run(loop);
        }
    }

    private static AsyncFlowControl? SuppressFlow() => ExecutionContext.IsFlowSuppressed() ? null : ExecutionContext.SuppressFlow();
}
