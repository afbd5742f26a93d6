using AbortLab.Sensors;

namespace AbortLab;

/// <summary>The threads running a followed request's code, and what ran after its abort (see <see cref="RequestCodeFollower"/>).</summary>
internal sealed partial class LiveTimeline
{
    private const int MaxOriginsRead = 48;


    /// <summary>The request's code arrived on a thread. Never throws: it runs inside the runtime's context switch.</summary>
    /// <param name="threadId">The thread's managed id.</param>
    /// <param name="origin">What started the code, when the context says so; else read from the stack.</param>
    public void CodeArrived(int threadId, string? origin)
    {
        lock (Gate)
        {
            var runs = (_sensors ??= new SensorRecords()).CodeRuns ??= new CodeRuns();

            // Before the abort no stack is read (a followed request's code comes back to a thread at every await), only
            // what the thread itself says; after it, the stack of the first arrivals.
            if (origin is null)
            {
                origin = _abortedTimestamp == 0 ? CodeOrigin.OfArrivalWithoutStack() : runs.OriginsRead++ < MaxOriginsRead ? CodeOrigin.OfArrival() : null;
            }

            if (_abortedTimestamp == 0)
            {
                // Before the abort only the threads running now are kept, to name the ones the abort finds at work.
                runs.Running[threadId] = new RunningCode(origin, ThreadName());
                return;
            }

            runs.Running[threadId] = new RunningCode(origin, ThreadName());
            origin ??= runs.Find(threadId)?.Origin ?? "unknown";
            var entry = runs.Find(threadId, origin);
            if (entry is null)
            {
                if (runs.After.Count >= MaxSensorEntries)
                {
                    return;
                }

                entry = new CodeRunEntry(threadId, ThreadName(), origin, Now());
                runs.After.Add(entry);
                RecordLocked();
            }

            entry.Runs++;
            entry.Running = true;
        }
    }

    /// <summary>The request's code left a thread.</summary>
    public void CodeLeft(int threadId)
    {
        lock (Gate)
        {
            if (_sensors?.CodeRuns is not { } runs)
            {
                return;
            }

            runs.Running.Remove(threadId);
            if (_abortedTimestamp != 0 && runs.FindRunning(threadId) is { } entry)
            {
                entry.Running = false;
                entry.LastTimestamp = Now();
            }
        }
    }

    // Under the lock, at the abort: the threads already running the request's code run it after the abort too.
    private void RecordRunningAtAbortLocked()
    {
        if (_sensors?.CodeRuns is not { Running.Count: > 0 } runs)
        {
            return;
        }

        foreach (var (threadId, running) in runs.Running)
        {
            if (runs.After.Count < MaxSensorEntries && runs.Find(threadId) is null)
            {
                var origin = running.Origin ?? "code that was running when the abort came";
                runs.After.Add(new CodeRunEntry(threadId, running.ThreadName, origin, _abortedTimestamp) { Runs = 1, Running = true });
            }
        }
    }

    private CodeRunRecord[] CodeRunSnapshotLocked()
    {
        if (_sensors?.CodeRuns is not { After.Count: > 0 } runs)
        {
            return [];
        }

        return [.. runs.After.Select(e => new CodeRunRecord
        {
            Thread = e.ThreadName,
            ThreadId = e.ThreadId,
            StartedFrom = e.Origin,
            FirstRanAt = ToUtc(e.FirstTimestamp),
            LastRanAt = e.Running || e.LastTimestamp == 0 ? null : ToUtc(e.LastTimestamp),
            Runs = e.Runs,
            Running = e.Running,
        })];
    }

    private static string ThreadName()
    {
        var thread = Thread.CurrentThread;
        return thread.IsThreadPoolThread ? "thread pool" : thread.Name ?? $"thread {thread.ManagedThreadId}";
    }

    private sealed class CodeRuns
    {
        public readonly Dictionary<int, RunningCode> Running = [];
        public readonly List<CodeRunEntry> After = [];
        public int OriginsRead;

        public CodeRunEntry? Find(int threadId, string? origin = null)
        {
            foreach (var entry in After)
            {
                if (entry.ThreadId == threadId && (origin is null || entry.Origin == origin))
                {
                    return entry;
                }
            }

            return null;
        }

        public CodeRunEntry? FindRunning(int threadId)
        {
            foreach (var entry in After)
            {
                if (entry.ThreadId == threadId && entry.Running)
                {
                    return entry;
                }
            }

            return null;
        }
    }

    private readonly record struct RunningCode(string? Origin, string ThreadName);

    private sealed class CodeRunEntry(int threadId, string threadName, string origin, long firstTimestamp)
    {
        public int ThreadId { get; } = threadId;

        public string ThreadName { get; } = threadName;

        public string Origin { get; } = origin;

        public long FirstTimestamp { get; } = firstTimestamp;

        public long LastTimestamp { get; set; }

        public int Runs { get; set; }

        public bool Running { get; set; }
    }
}
