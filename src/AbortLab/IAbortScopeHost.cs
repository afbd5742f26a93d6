namespace AbortLab;

/// <summary>
/// What hosts a scope: told of every abort, and of a callback on the scope's token that threw.
/// </summary>
internal interface IAbortScopeHost : IAbortScopeObserver
{
    /// <summary>A callback application code registered on the scope's token threw while the scope was aborted.</summary>
    void OnCallbackFailed(AbortScope scope, AggregateException exception);
}
