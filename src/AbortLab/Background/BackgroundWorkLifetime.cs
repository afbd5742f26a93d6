namespace AbortLab.Background;

/// <summary>
/// How long queued background work may run.
/// </summary>
public enum BackgroundWorkLifetime
{
    /// <summary>
    /// Tied to the queuing request's <see cref="AbortScope"/>: cancelled when the scope is aborted or the host stops,
    /// and tracked on the request's timeline.
    /// </summary>
    Request = 0,

    /// <summary>Survives the request: cancelled only when the host stops.</summary>
    Detached = 1,
}
