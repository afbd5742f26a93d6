namespace AbortLab;

/// <summary>
/// One change to a request's timeline, numbered in the order the store received it.
/// </summary>
internal readonly struct TimelineEvent
{
    /// <summary>The request id of an event that belongs to no request.</summary>
    public const string NoRequest = "shutdown";

    internal TimelineEvent(
        long sequence,
        TimelineEventKind kind,
        DateTimeOffset timestamp,
        long requestNumber,
        string hop,
        AbortReason? reason = null,
        string? workName = null,
        WorkOutcome? workOutcome = null,
        int? statusCode = null)
    {
        Sequence = sequence;
        Kind = kind;
        Timestamp = timestamp;
        RequestNumber = requestNumber;
        Hop = hop;
        Reason = reason;
        WorkName = workName;
        WorkOutcome = workOutcome;
        StatusCode = statusCode;
    }

    /// <summary>Gets the event's number: one more than the event before it in the same store.</summary>
    public long Sequence { get; }

    /// <summary>Gets what the event records.</summary>
    public TimelineEventKind Kind { get; }

    /// <summary>Gets when it happened.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Gets the identifier of the request's timeline.</summary>
    /// <summary>The numeric id of the request's timeline; 0 for an event of no request (a shutdown report).</summary>
    public long RequestNumber { get; }

    /// <summary>The timeline's id as the API shows it, made when read: the ring holds no string per event.</summary>
    public string RequestId => RequestNumber > 0 ? RequestNumber.ToString(System.Globalization.CultureInfo.InvariantCulture) : NoRequest;

    /// <summary>Gets the hop that recorded the request.</summary>
    public string Hop { get; }

    /// <summary>Gets the abort reason, for <see cref="TimelineEventKind.RequestAborted"/>.</summary>
    public AbortReason? Reason { get; }

    /// <summary>Gets the work's name, for <see cref="TimelineEventKind.WorkStarted"/> and <see cref="TimelineEventKind.WorkEnded"/>.</summary>
    public string? WorkName { get; }

    /// <summary>Gets how the work ended, for <see cref="TimelineEventKind.WorkEnded"/>.</summary>
    public WorkOutcome? WorkOutcome { get; }

    /// <summary>Gets the recorded status code, for <see cref="TimelineEventKind.RequestCompleted"/>.</summary>
    public int? StatusCode { get; }

    internal TimelineEvent WithSequence(long sequence) =>
        new(sequence, Kind, Timestamp, RequestNumber, Hop, Reason, WorkName, WorkOutcome, StatusCode);
}
