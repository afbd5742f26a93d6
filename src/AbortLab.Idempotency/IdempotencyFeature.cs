using Microsoft.AspNetCore.Http;

namespace AbortLab.Idempotency;

/// <summary>
/// The idempotency state of one request. Once committed, the rest of the request produces the response that retries
/// will get, so a client leaving must not cancel it: <c>HttpContext.RequestAborted</c> becomes a token of its own, with
/// a deadline. The the abort scope (if AbortLab runs) still reports the abort. The commit is written to the store at once.
/// </summary>
internal sealed class IdempotencyFeature(string key, string owner, HttpContext context, Func<Task> writeCommit) : IIdempotencyFeature, IDisposable
{
    private static readonly TimeSpan ResponseDeadline = TimeSpan.FromSeconds(30);

    private readonly CancellationToken _original = context.RequestAborted;
    private CancellationTokenSource? _afterCommit;
    private volatile bool _committed;

    public string Key { get; } = key;

    public string Owner { get; } = owner;

    public bool IsCommitted => _committed;

    /// <summary>The store write of the commit mark, once <see cref="MarkCommitted"/> was called.</summary>
    public Task CommitWritten { get; private set; } = Task.CompletedTask;

    public void MarkCommitted()
    {
        if (_committed)
        {
            return;
        }

        _committed = true;
        CommitWritten = writeCommit();
        _afterCommit = new CancellationTokenSource(ResponseDeadline);
        context.RequestAborted = _afterCommit.Token;
    }

    public void Dispose()
    {
        if (_afterCommit is not null)
        {
            context.RequestAborted = _original;
            _afterCommit.Dispose();
        }
    }
}
