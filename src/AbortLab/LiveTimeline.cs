using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AbortLab;

/// <summary>
/// The timeline of one request while it is being written. Every change is recorded under one lock and published to
/// the store as an event in the same order, so a reader never sees a work stop before the abort that caused it.
/// Times are taken from the monotonic clock and turned into UTC from the start time, so durations never jump.
/// </summary>
/// <remarks>
/// A timeline is <em>recorded</em> (in the store's ring, its events on the feed) from its start while the host's
/// recording budget allows (<c>AbortLabOptions.RecordedRequestsPerSecond</c>), else from the moment it turns
/// out to matter: an abort, a zombie, a log, detached or faulted work, an exception out of the pipeline, a status of 500
/// or above, or its id asked for. Until then it is written as usual but publishes nothing: a request that ends
/// normally under load costs no slot in the ring and no event.
/// </remarks>
[DebuggerDisplay("{Id,nq} {Request.Method,nq} {Request.Path,nq}")]
internal sealed partial class LiveTimeline
{
    /// <summary>How many log entries, late operations and detached works a timeline keeps of each: memory stays bounded.</summary>
    internal const int MaxSensorEntries = 32;

    private readonly ITimelineSink _sink;
    private readonly TimeProvider _timeProvider;
    // The request's description is kept field by field: its trace id lives only in _traceId, which may be made later.
    private readonly string _hop;
    private readonly string? _tag;
    private readonly string _method;
    private readonly string _path;
    private readonly string _protocol;
    private readonly string? _connectionId;

    // UTC, as DateTime (8 bytes, not DateTimeOffset's 16): a timeline is kept long after its request, thousands at once.
    private readonly DateTime _startedAt;
    private readonly long _startTimestamp;
    private string? _traceId;
    private List<WorkEntry>? _work;
    private SensorRecords? _sensors;
    private int _runningWork;
    private long _abortedTimestamp;
    private AbortReason _reason;
    private long _completedTimestamp;
    private int _statusCode;
    private long _connectionClosedTimestamp;
    private bool _workStopReported;
    private bool _zombie;
    private bool _recorded;
    private bool _tokenHandedOut;

    public LiveTimeline(ITimelineSink sink, TimeProvider timeProvider, long numericId, in RequestDescription request)
    {
        _sink = sink;
        _timeProvider = timeProvider;
        _startTimestamp = timeProvider.GetTimestamp();
        _startedAt = ReferenceEquals(timeProvider, TimeProvider.System) ? SystemClockAnchor.UtcAt(_startTimestamp) : timeProvider.GetUtcNow().UtcDateTime;
        NumericId = numericId;
        _traceId = request.TraceId;
        _hop = request.Hop;
        _tag = request.Tag;
        _method = request.Method;
        _path = request.Path;
        _protocol = request.Protocol;
        _connectionId = request.ConnectionId;
    }

    /// <summary>
    /// The one lock of the timeline and of the scope that owns it: the timeline itself, an internal object no other
    /// code can see, so a request allocates no lock object.
    /// </summary>
    internal object Gate => this;

    public long NumericId { get; }

    /// <summary>The id as the API shows it; made when asked for (a log, a snapshot), not kept with every timeline.</summary>
    public string Id => NumericId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What the request said about itself, with the trace id if it is known yet.</summary>
    public RequestDescription Request => new(KnownTraceId, _hop, _tag, _method, _path, _protocol, _connectionId);

    public string Hop => _hop;

    /// <summary>The tag the request carried (the rig's), if any.</summary>
    public string? Tag => _tag;

    /// <summary>
    /// The W3C trace id: the one the request came with, else one made when first asked for (to propagate it, or to
    /// show the timeline), so that a request nobody looks at costs no random id and no string.
    /// </summary>
    public string TraceId => Volatile.Read(ref _traceId)
        ?? Interlocked.CompareExchange(ref _traceId, ActivityTraceId.CreateRandom().ToHexString(), null)
        ?? _traceId!;

    /// <summary>The trace id if it is known yet; a timeline without one matches no query by trace id.</summary>
    public string? KnownTraceId => Volatile.Read(ref _traceId);

    public TimeProvider TimeProvider => _timeProvider;

    public long StartTimestamp => _startTimestamp;

    public DateTimeOffset StartedAt => new(_startedAt);

    public DateTimeOffset? AbortedAt
    {
        get
        {
            lock (Gate)
            {
                return _abortedTimestamp == 0 ? null : ToUtc(_abortedTimestamp);
            }
        }
    }

    public bool IsCompleted
    {
        get
        {
            lock (Gate)
            {
                return _completedTimestamp != 0;
            }
        }
    }

    public void Publish(TimelineEventKind kind, long timestamp, AbortReason? reason = null, WorkEntry? work = null, int? statusCode = null)
    {
        if (!_recorded)
        {
            return;
        }

        _sink.Append(new TimelineEvent(0, kind, ToUtc(timestamp), NumericId, _hop, reason, work?.Name, work?.Outcome, statusCode));
    }

    /// <summary>
    /// Records the timeline from its start, without the lock: called by whoever made the timeline, before any scope
    /// hands it out, so no other event of this timeline can come first.
    /// </summary>
    public void MarkStarted() => RecordLocked();

    /// <summary>Records the timeline now if it is not yet: its id is about to be shown, or it turned out to matter.</summary>
    public void EnsureRecorded()
    {
        lock (Gate)
        {
            RecordLocked();
        }
    }

    /// <summary>Says that some code asked for one of the request's tokens: whether work that ran on was handed it.</summary>
    public void MarkTokenHandedOut() => Volatile.Write(ref _tokenHandedOut, true);

    public void MarkAborted(AbortReason reason)
    {
        lock (Gate)
        {
            if (_abortedTimestamp != 0)
            {
                return;
            }

            _abortedTimestamp = Now();
            _reason = reason;
            RecordLocked();
            RecordRunningAtAbortLocked();
            Publish(TimelineEventKind.RequestAborted, _abortedTimestamp, reason);
            ReportWorkStoppedIfDone();
        }
    }

    public WorkEntry StartWork(string name)
    {
        lock (Gate)
        {
            var entry = new WorkEntry(name, Now());
            (_work ??= new List<WorkEntry>(2)).Add(entry);
            _runningWork++;
            Publish(TimelineEventKind.WorkStarted, entry.StartTimestamp, work: entry);
            return entry;
        }
    }

    public void EndWork(WorkEntry entry, WorkOutcome outcome, string? error = null)
    {
        lock (Gate)
        {
            if (entry.Outcome != WorkOutcome.Running)
            {
                return;
            }

            entry.EndTimestamp = Now();
            entry.Outcome = outcome;
            entry.Error = error;
            if (outcome == WorkOutcome.Faulted)
            {
                RecordLocked();
            }

            if (entry.Detached)
            {
                Publish(TimelineEventKind.DetachedWorkChanged, entry.EndTimestamp, work: entry);
                return;
            }

            _runningWork--;
            Publish(TimelineEventKind.WorkEnded, entry.EndTimestamp, work: entry);
            ReportWorkStoppedIfDone();
        }
    }

    /// <summary>Records work queued as detached: it is shown, but is not the request's work.</summary>
    public WorkEntry? StartDetachedWork(string name)
    {
        lock (Gate)
        {
            var sensors = _sensors ??= new SensorRecords();
            if (sensors.Detached is { Count: >= MaxSensorEntries })
            {
                return null;
            }

            var entry = new WorkEntry(name, Now()) { Detached = true };
            (sensors.Detached ??= new List<WorkEntry>(1)).Add(entry);
            RecordLocked();
            Publish(TimelineEventKind.DetachedWorkChanged, entry.StartTimestamp, work: entry);
            return entry;
        }
    }

    public void RecordLog(LogLevel level, string category, EventId eventId, string message, string? exceptionType)
    {
        lock (Gate)
        {
            var sensors = _sensors ??= new SensorRecords();
            if (sensors.Logs is { Count: >= MaxSensorEntries })
            {
                return;
            }

            var now = Now();
            (sensors.Logs ??= new List<LogRecord>(1)).Add(new LogRecord
            {
                Timestamp = ToUtc(now),
                Level = level,
                Category = category,
                EventName = eventId.Name ?? (eventId.Id == 0 ? null : eventId.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                Message = message.Length <= 512 ? message : message[..512],
                Exception = exceptionType,
            });
            RecordLocked();
            Publish(TimelineEventKind.LogRecorded, now);
        }
    }

    /// <summary>Records an outgoing operation started after the abort; does nothing before it.</summary>
    /// <param name="source">The activity source or diagnostic listener that saw it.</param>
    /// <param name="name">What it was (<c>db INSERT</c>), or for an activity its kind (<c>http</c>), completed by the activity's name when read.</param>
    /// <param name="activity">The operation's activity, whose name its client sets once it started.</param>
    public void RecordOperationIfAborted(string source, string name, Activity? activity = null)
    {
        lock (Gate)
        {
            if (_abortedTimestamp == 0 || _sensors?.Operations is { Count: >= MaxSensorEntries })
            {
                return;
            }

            var now = Now();
            ((_sensors ??= new SensorRecords()).Operations ??= new List<OperationEntry>(1)).Add(new OperationEntry(source, name, now, CodeOrigin.AppCaller(), activity));
            RecordLocked();
            Publish(TimelineEventKind.OperationAfterAbort, now);
        }
    }

    /// <summary>Records the request's end; <paramref name="owner"/>, its scope, lets go of the request in the same lock.</summary>
    public void MarkCompleted(int statusCode, AbortScope? owner = null)
    {
        lock (Gate)
        {
            owner?.DetachRequestLocked();
            if (_completedTimestamp != 0)
            {
                return;
            }

            _completedTimestamp = Now();
            _statusCode = statusCode;
            if (statusCode >= 500)
            {
                RecordLocked();
            }

            Publish(TimelineEventKind.RequestCompleted, _completedTimestamp, statusCode: statusCode);
            ReportWorkStoppedIfDone();
        }
    }

    // The status is known only after an outer middleware (Request Timeouts) answered.
    public void CorrectStatusCode(int statusCode)
    {
        lock (Gate)
        {
            _statusCode = statusCode;
            if (statusCode >= 500)
            {
                RecordLocked();
            }
        }
    }

    public void MarkConnectionClosed()
    {
        lock (Gate)
        {
            if (_connectionClosedTimestamp != 0)
            {
                return;
            }

            _connectionClosedTimestamp = Now();
            Publish(TimelineEventKind.ConnectionClosed, _connectionClosedTimestamp);
            if (_abortedTimestamp != 0)
            {
                _sink.ConnectionClosedAfterAbort(_reason, _timeProvider.GetElapsedTime(_abortedTimestamp, _connectionClosedTimestamp));
            }
        }
    }

    /// <summary>
    /// Flags the request as a zombie if its pipeline or any tracked work still runs; returns the names of what runs.
    /// </summary>
    public IReadOnlyList<string>? MarkZombieIfRunning()
    {
        lock (Gate)
        {
            if (_completedTimestamp != 0 && _runningWork == 0)
            {
                return null;
            }

            var running = new List<string>();
            if (_completedTimestamp == 0)
            {
                running.Add("(pipeline)");
            }

            if (_work is not null)
            {
                running.AddRange(_work.Where(w => w.Outcome == WorkOutcome.Running).Select(w => w.Name));
            }

            if (!_zombie)
            {
                _zombie = true;
                RecordLocked();
                Publish(TimelineEventKind.ZombieDetected, Now());
            }

            return running;
        }
    }

    public RequestTimeline ToSnapshot()
    {
        lock (Gate)
        {
            return new RequestTimeline
            {
                Id = Id,
                TraceId = TraceId,
                Hop = _hop,
                Tag = _tag,
                Method = _method,
                Path = _path,
                Protocol = _protocol,
                ConnectionId = _connectionId,
                StartedAt = StartedAt,
                AbortedAt = _abortedTimestamp == 0 ? null : ToUtc(_abortedTimestamp),
                AbortReason = _reason == 0 ? null : _reason,
                CompletedAt = _completedTimestamp == 0 ? null : ToUtc(_completedTimestamp),
                StatusCode = _statusCode == 0 ? null : _statusCode,
                ConnectionClosedAt = _connectionClosedTimestamp == 0 ? null : ToUtc(_connectionClosedTimestamp),
                Work = ToRecords(_work),
                DetachedWork = ToRecords(_sensors?.Detached),
                Logs = _sensors?.Logs is { } logs ? [.. logs] : [],
                OperationsAfterAbort = _sensors?.Operations is { } operations ? [.. operations.Select(ToRecord)] : [],
                CodeAfterAbort = CodeRunSnapshotLocked(),
                Zombie = _zombie,
                TokenHandedOut = Volatile.Read(ref _tokenHandedOut),
                AbortToWorkStoppedMs = WorkStoppedTimestamp() is { } stopped ? Milliseconds(_abortedTimestamp, stopped) : null,
                AbortToConnectionClosedMs = _abortedTimestamp != 0 && _connectionClosedTimestamp != 0
                    ? Milliseconds(_abortedTimestamp, _connectionClosedTimestamp)
                    : null,
            };
        }
    }

    // Under the lock, or before the timeline is handed out. The store takes it, then the feed hears of its start (at
    // the time it started) before any later event.
    private void RecordLocked()
    {
        if (_recorded)
        {
            return;
        }

        _recorded = true;
        _sink.Record(this);
        Publish(TimelineEventKind.RequestStarted, _startTimestamp);
    }

    private WorkRecord[] ToRecords(List<WorkEntry>? entries)
    {
        if (entries is not { Count: > 0 })
        {
            return [];
        }

        var records = new WorkRecord[entries.Count];
        for (var i = 0; i < records.Length; i++)
        {
            var entry = entries[i];
            records[i] = new WorkRecord
            {
                Name = entry.Name,
                StartedAt = ToUtc(entry.StartTimestamp),
                EndedAt = entry.EndTimestamp == 0 ? null : ToUtc(entry.EndTimestamp),
                Outcome = entry.Outcome,
                Error = entry.Error,
            };
        }

        return records;
    }

    // When the last of the work stopped after an abort: the pipeline returned and no tracked work still runs.
    private long? WorkStoppedTimestamp()
    {
        if (_abortedTimestamp == 0 || _completedTimestamp == 0 || _runningWork != 0)
        {
            return null;
        }

        var last = _completedTimestamp;
        if (_work is not null)
        {
            foreach (var entry in _work)
            {
                last = Math.Max(last, entry.EndTimestamp);
            }
        }

        return last;
    }

    private void ReportWorkStoppedIfDone()
    {
        if (_workStopReported || WorkStoppedTimestamp() is not { } stopped)
        {
            return;
        }

        _workStopReported = true;
        _sink.WorkStoppedAfterAbort(_reason, Elapsed(_abortedTimestamp, stopped));
    }

    private long Now() => Math.Max(_timeProvider.GetTimestamp(), _startTimestamp);

    private DateTimeOffset ToUtc(long timestamp) => new(_startedAt + _timeProvider.GetElapsedTime(_startTimestamp, timestamp));

    // Work that stopped before the abort was recorded counts as stopped at once, never as a negative time.
    private TimeSpan Elapsed(long from, long to) => to <= from ? TimeSpan.Zero : _timeProvider.GetElapsedTime(from, to);

    private double Milliseconds(long from, long to) => Math.Round(Elapsed(from, to).TotalMilliseconds, 3);

    // What sensors record (logs, late operations, detached work): most timelines have none, so none carry the lists.
    private sealed class SensorRecords
    {
        public List<WorkEntry>? Detached;
        public List<LogRecord>? Logs;
        public List<OperationEntry>? Operations;
        public CodeRuns? CodeRuns;
    }

    private OperationRecord ToRecord(OperationEntry entry) => new()
    {
        Source = entry.Source,
        Name = entry.Activity is { } activity && activity.DisplayName != activity.OperationName ? $"{entry.Name} {activity.DisplayName}" : entry.Activity is null ? entry.Name : $"{entry.Name} request",
        StartedAt = ToUtc(entry.Timestamp),
        StartedFrom = entry.StartedFrom,
    };

    private sealed record OperationEntry(string Source, string Name, long Timestamp, string? StartedFrom, Activity? Activity);

    internal sealed class WorkEntry(string name, long startTimestamp)
    {
        public string Name { get; } = name;

        public long StartTimestamp { get; } = startTimestamp;

        public long EndTimestamp { get; set; }

        public WorkOutcome Outcome { get; set; }

        public string? Error { get; set; }

        /// <summary>Queued as detached: shown on the timeline, never counted as the request's running work.</summary>
        public bool Detached { get; init; }
    }
}
