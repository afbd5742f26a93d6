namespace AbortLab;

/// <summary>
/// Told when a scope is aborted, after its token was cancelled. The narrow view watchers (a connection, the
/// hosting layer's effects) have of a scope: they observe it, the scope knows nothing of them.
/// </summary>
internal interface IAbortScopeObserver
{
    /// <summary>Called once, on the thread that aborted the scope; must not block.</summary>
    void OnAborted(AbortScope scope, AbortReason reason, AbortDetection detectedBy);
}
