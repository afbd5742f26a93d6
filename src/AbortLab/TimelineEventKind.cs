namespace AbortLab;

/// <summary>
/// What a <see cref="TimelineEvent"/> records.
/// </summary>
internal enum TimelineEventKind
{
    /// <summary>A request reached AbortLab.</summary>
    RequestStarted = 1,

    /// <summary>A request's scope was aborted.</summary>
    RequestAborted = 2,

    /// <summary>A unit of work started.</summary>
    WorkStarted = 3,

    /// <summary>A unit of work ended.</summary>
    WorkEnded = 4,

    /// <summary>A request's pipeline returned.</summary>
    RequestCompleted = 5,

    /// <summary>A request's connection closed.</summary>
    ConnectionClosed = 6,

    /// <summary>A request's work was still running well after its abort.</summary>
    ZombieDetected = 7,

    /// <summary>A graceful shutdown ended; <see cref="Timelines.TimelineStore.LastShutdownReport"/> holds its report.</summary>
    ShutdownReported = 8,

    /// <summary>A log entry of <c>Warning</c> or above was written for a request (<see cref="RequestTimeline.Logs"/>).</summary>
    LogRecorded = 9,

    /// <summary>A request's code started an outgoing operation after its abort (<see cref="RequestTimeline.OperationsAfterAbort"/>).</summary>
    OperationAfterAbort = 10,

    /// <summary>A request queued detached work, or such work ended (<see cref="RequestTimeline.DetachedWork"/>).</summary>
    DetachedWorkChanged = 11,
}
