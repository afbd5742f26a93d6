using System.Globalization;
using System.Runtime.CompilerServices;

namespace AbortLab.Timelines;

/// <summary>
/// Two rings of fixed size: the newest timelines and the newest events. Memory stays bounded whatever the load;
/// the oldest entries are overwritten.
/// </summary>
internal sealed class TimelineStore : IAbortTimelineStore
{
    private const int ReadBatchSize = 256;

    // Timelines are added without a lock (every request adds one, so a shared lock was contended): the id comes from
    // an atomic increment and the slot takes the newest timeline by compare-exchange. Readers check each slot's id.
    // Not every id is recorded (LiveTimeline's remarks), so a slot holds the newest recorded timeline of its ids.
    private readonly LiveTimeline?[] _timelines;
    private long _lastTimelineId;
    private int _occupiedSlots;

    private readonly object _eventGate = new();
    private readonly TimelineEvent[] _events;
    private long _lastSequence;

    // Where the next event goes, (_lastSequence % capacity) kept as it grows: the writer's path has no division.
    private int _nextEventSlot;
    private TaskCompletionSource? _eventArrived;

    public TimelineStore(int capacity, int eventCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(eventCapacity, 1);
        _timelines = new LiveTimeline?[capacity];
        _events = new TimelineEvent[eventCapacity];
    }

    public int Capacity => _timelines.Length;

    /// <summary>
    /// Names this store among the stores of earlier processes: event ids carry it, so an id from before a restart
    /// is told apart from one of this store's.
    /// </summary>
    public string Epoch { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

    public int EventCapacity => _events.Length;

    /// <summary>The id of the newest timeline: it moves whenever a request is recorded, so a reader can tell a quiet window.</summary>
    public long LastTimelineId => Interlocked.Read(ref _lastTimelineId);

    /// <summary>How many timelines the ring holds.</summary>
    public int Count => Volatile.Read(ref _occupiedSlots);

    public int EventCount
    {
        get
        {
            lock (_eventGate)
            {
                return (int)Math.Min(_lastSequence, _events.Length);
            }
        }
    }

    public long LastSequence
    {
        get
        {
            lock (_eventGate)
            {
                return _lastSequence;
            }
        }
    }

    /// <summary>The report of the newest graceful shutdown of any host recording here, or <see langword="null"/>.</summary>
    public ShutdownReport? LastShutdownReport { get; private set; }

    public void RecordShutdown(ShutdownReport report)
    {
        LastShutdownReport = report;
        Append(new TimelineEvent(0, TimelineEventKind.ShutdownReported, report.CompletedAt, 0, report.Hop));
    }

    /// <summary>Makes a timeline and records it from its start.</summary>
    public LiveTimeline Add(ITimelineSink sink, TimeProvider timeProvider, in RequestDescription request)
    {
        var timeline = Create(sink, timeProvider, request);
        timeline.MarkStarted();
        return timeline;
    }

    /// <summary>Makes a timeline with the next id, not yet recorded: nothing reads it until it is.</summary>
    public LiveTimeline Create(ITimelineSink sink, TimeProvider timeProvider, in RequestDescription request) =>
        new(sink, timeProvider, Interlocked.Increment(ref _lastTimelineId), request);

    /// <summary>Puts a timeline in its slot, unless the slot holds a newer one (a timeline recorded late may find that).</summary>
    public void Insert(LiveTimeline timeline)
    {
        var id = timeline.NumericId;
        ref var slot = ref _timelines[SlotOf(id)];
        var current = Volatile.Read(ref slot);
        while (current is null || current.NumericId < id)
        {
            var seen = Interlocked.CompareExchange(ref slot, timeline, current);
            if (ReferenceEquals(seen, current))
            {
                if (current is null)
                {
                    Interlocked.Increment(ref _occupiedSlots);
                }

                return;
            }

            current = seen;
        }
    }

    public RequestTimeline? Find(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var numericId) || numericId < 1)
        {
            return null;
        }

        return Find(numericId);
    }

    /// <summary>The timeline with this numeric id, if the ring still holds it.</summary>
    public RequestTimeline? Find(long numericId)
    {
        if (numericId < 1)
        {
            return null;
        }

        var timeline = Volatile.Read(ref _timelines[SlotOf(numericId)]);
        return timeline?.NumericId == numericId ? timeline.ToSnapshot() : null;
    }

    public IReadOnlyList<RequestTimeline> GetRecent(TimelineQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, TimelineQuery.MaxLimit, nameof(query));

        // Newest first. Ids that were never recorded leave their slots to older timelines, so every slot is read (a
        // diagnostics query, not a request's path), then the newest matches are kept.
        var matches = new List<LiveTimeline>(Math.Min(query.Limit, 64));
        foreach (var slot in _timelines)
        {
            var timeline = Volatile.Read(in slot);
            if (timeline is not null &&
                (query.Tag is null || string.Equals(query.Tag, timeline.Request.Tag, StringComparison.Ordinal)) &&
                (query.Hop is null || string.Equals(query.Hop, timeline.Hop, StringComparison.Ordinal)) &&
                (query.TraceId is null || string.Equals(query.TraceId, timeline.KnownTraceId, StringComparison.Ordinal)))
            {
                matches.Add(timeline);
            }
        }

        matches.Sort(static (a, b) => b.NumericId.CompareTo(a.NumericId));
        if (matches.Count > query.Limit)
        {
            matches.RemoveRange(query.Limit, matches.Count - query.Limit);
        }

        // Each snapshot takes its own timeline's lock.
        var result = new RequestTimeline[matches.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = matches[i].ToSnapshot();
        }

        return result;
    }

    public void Append(in TimelineEvent timelineEvent)
    {
        TaskCompletionSource? arrived;
        lock (_eventGate)
        {
            var sequence = ++_lastSequence;
            var slot = _nextEventSlot;
            _events[slot] = timelineEvent.WithSequence(sequence);
            _nextEventSlot = slot + 1 == _events.Length ? 0 : slot + 1;
            arrived = _eventArrived;
            _eventArrived = null;
        }

        arrived?.TrySetResult();
    }

    public async IAsyncEnumerable<TimelineEvent> ReadEventsAsync(long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        var batch = new TimelineEvent[ReadBatchSize];
        var next = afterSequence + 1;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count;
            Task? arrived = null;
            lock (_eventGate)
            {
                next = Math.Max(next, _lastSequence - _events.Length + 1);
                count = (int)Math.Clamp(_lastSequence - next + 1, 0, batch.Length);
                for (var i = 0; i < count; i++)
                {
                    batch[i] = _events[(next + i - 1) % _events.Length];
                }

                if (count == 0)
                {
                    _eventArrived ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    arrived = _eventArrived.Task;
                }
            }

            if (arrived is not null)
            {
                await arrived.WaitAsync(cancellationToken);
                continue;
            }

            for (var i = 0; i < count; i++)
            {
                yield return batch[i];
            }

            next += count;
        }
    }

    /// <summary>The sequence number of the oldest event the ring still holds (1 while it has not wrapped).</summary>
    public long OldestSequence
    {
        get
        {
            lock (_eventGate)
            {
                return Math.Max(1, _lastSequence - _events.Length + 1);
            }
        }
    }

    /// <summary>
    /// Copies the events from <paramref name="from"/> on (or from the oldest still held, if the ring has overwritten
    /// it) into <paramref name="batch"/>, and gives the sequence of the first one copied.
    /// </summary>
    public int CopyEvents(long from, TimelineEvent[] batch, out long first)
    {
        lock (_eventGate)
        {
            first = Math.Max(from, _lastSequence - _events.Length + 1);
            var count = (int)Math.Clamp(_lastSequence - first + 1, 0, batch.Length);
            for (var i = 0; i < count; i++)
            {
                batch[i] = _events[(first + i - 1) % _events.Length];
            }

            return count;
        }
    }

    /// <summary>Completes when the next event is appended.</summary>
    public Task NextEventAsync()
    {
        lock (_eventGate)
        {
            _eventArrived ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _eventArrived.Task;
        }
    }

    private long SlotOf(long id) => (id - 1) % _timelines.Length;
}
