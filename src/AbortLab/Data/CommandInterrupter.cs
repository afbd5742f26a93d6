using System.Data.Common;

namespace AbortLab.Data;

/// <summary>
/// Interrupts a database command from the moment its scope is aborted until it returns, again every
/// <see cref="Interval"/>. One interrupt is not enough: SQLite's <c>sqlite3_interrupt</c> does nothing while no
/// statement runs, so an abort that lands after the provider's own token check but before the statement starts
/// would let the statement run to its end.
/// </summary>
internal sealed class CommandInterrupter : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    private readonly object _gate = new();
    private readonly DbCommand _command;
    private readonly Action<DbCommand> _interrupt;
    private readonly TimeProvider _timeProvider;
    private ITimer? _timer;
    private bool _stopped;

    public CommandInterrupter(DbCommand command, Action<DbCommand> interrupt, TimeProvider timeProvider)
    {
        _command = command;
        _interrupt = interrupt;
        _timeProvider = timeProvider;
    }

    public void Start()
    {
        lock (_gate)
        {
            if (_stopped || _timer is not null)
            {
                return;
            }

            _timer = NonCapturingTimer.Create(_timeProvider, static state => ((CommandInterrupter)state!).Interrupt(), this, TimeSpan.Zero, Interval);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Interrupt()
    {
        lock (_gate)
        {
            if (!_stopped)
            {
                _interrupt(_command);
            }
        }
    }
}
