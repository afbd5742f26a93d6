using System.Diagnostics;

namespace AbortLab.BrowserTests.Faults;

/// <summary>
/// What a fault leaves running (CPU loops, child processes, detached work, leaked resources), stopped by the test once
/// the verdict is in, so the next test's quiet window starts quiet. Loops also end by themselves after a minute at the latest.
/// </summary>
internal sealed class Leftovers
{
    private readonly object _gate = new();
    private readonly List<Process> _processes = [];
    private readonly List<Task> _loops = [];
    private readonly List<IDisposable> _leaks = [];
    private CancellationTokenSource _stop = new();

    public CancellationToken Token
    {
        get
        {
            lock (_gate)
            {
                return _stop.Token;
            }
        }
    }

    /// <summary>Spins on a core until <paramref name="token"/> or the leftovers stop, for <paramref name="duration"/> (at most a minute).</summary>
    public static void Spin(CancellationToken token, CancellationToken leftovers, TimeSpan? duration = null)
    {
        var end = Stopwatch.GetTimestamp() + (long)((duration ?? TimeSpan.FromMinutes(1)).TotalSeconds * Stopwatch.Frequency);
        var x = 0UL;
        while (!token.IsCancellationRequested && !leftovers.IsCancellationRequested && Stopwatch.GetTimestamp() < end)
        {
            for (var i = 0; i < 10_000; i++)
            {
                x = (x * 6364136223846793005UL) + 1442695040888963407UL;
            }
        }

        GC.KeepAlive(x);
    }

    public void Add(Process process)
    {
        lock (_gate)
        {
            _processes.Add(process);
        }
    }

    /// <summary>
    /// Keeps a resource the fault forgot referenced until the test ends: unreferenced, a garbage collection at a random
    /// moment would finalize its socket and do the app's clean-up for it.
    /// </summary>
    public void Add(IDisposable leak)
    {
        lock (_gate)
        {
            _leaks.Add(leak);
        }
    }

    public void Add(Task loop)
    {
        lock (_gate)
        {
            _loops.Add(loop);
        }
    }

    public async Task StopAsync()
    {
        List<Process> processes;
        List<Task> loops;
        List<IDisposable> leaks;
        CancellationTokenSource stop;
        lock (_gate)
        {
            (processes, loops, leaks, stop) = ([.. _processes], [.. _loops], [.. _leaks], _stop);
            _processes.Clear();
            _loops.Clear();
            _leaks.Clear();
            _stop = new CancellationTokenSource();
        }

        await stop.CancelAsync();
        foreach (var process in processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }

        foreach (var leak in leaks)
        {
            leak.Dispose();
        }

        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(10));
        stop.Dispose();
    }
}
