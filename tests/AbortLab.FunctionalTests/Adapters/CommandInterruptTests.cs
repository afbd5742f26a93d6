using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using AbortLab.Hosting;
using AbortLab.Telemetry;
using AbortLab.Testing;
using AbortLab.Timelines;
using Microsoft.Extensions.Logging.Abstractions;

namespace AbortLab.FunctionalTests.Adapters;

public sealed class CommandInterruptTests
{
    private static readonly MiddlewareHarness Services = new(timeProvider: TimeProvider.System);

    [Fact]
    public async Task AbortBeforeTheStatementStarts_StillInterruptsItOnceItRuns()
    {
        var scope = Services.NewScope();
        var command = new IdleDeafCommand();

        var execution = scope.ExecuteScalarAsync(command, c => ((IdleDeafCommand)c).Interrupt());
        await command.Entered.Task.WaitAsync(KestrelTestHost.WaitTimeout);

        // The abort lands while the provider prepares: an interrupt now is lost, as SQLite's would be.
        scope.Abort(AbortReason.ClientDisconnected);
        await command.InterruptLost.Task.WaitAsync(KestrelTestHost.WaitTimeout);
        command.StartStatement();

        // A single interrupt (the one just lost) would leave the statement running until the wait times out.
        await Assert.ThrowsAsync<OperationCanceledException>(() => execution.WaitAsync(KestrelTestHost.WaitTimeout));
    }

    /// <summary>
    /// A command whose interrupt, like sqlite3_interrupt, does nothing while no statement runs; it ignores the token
    /// once started, like Microsoft.Data.Sqlite.
    /// </summary>
    [SuppressMessage("Security", "CA2100", Justification = "No SQL runs.")]
    private sealed class IdleDeafCommand : DbCommand
    {
        private readonly TaskCompletionSource _statementStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _interrupted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _running;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource InterruptLost { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        [AllowNull]
        public override string CommandText { get; set; } = "SELECT slowly()";

        public override int CommandTimeout { get; set; }

        public override CommandType CommandType { get; set; }

        public override bool DesignTimeVisible { get; set; }

        public override UpdateRowSource UpdatedRowSource { get; set; }

        protected override DbConnection? DbConnection { get; set; }

        protected override DbParameterCollection DbParameterCollection => throw new NotSupportedException();

        protected override DbTransaction? DbTransaction { get; set; }

        public void StartStatement() => _statementStarted.TrySetResult();

        public void Interrupt()
        {
            if (_running)
            {
                _interrupted.TrySetResult();
            }
            else
            {
                InterruptLost.TrySetResult();
            }
        }

        public override async Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Entered.TrySetResult();
            await _statementStarted.Task;
            _running = true;
            await _interrupted.Task;
            throw new TestInterruptedException();
        }

        public override void Cancel()
        {
        }

        public override int ExecuteNonQuery() => throw new NotSupportedException();

        public override object? ExecuteScalar() => throw new NotSupportedException();

        public override void Prepare()
        {
        }

        protected override DbParameter CreateDbParameter() => throw new NotSupportedException();

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => throw new NotSupportedException();
    }

    private sealed class TestInterruptedException : DbException
    {
        public TestInterruptedException()
            : base("interrupted")
        {
        }
    }
}
