using System.Net;
using AbortLab.IO;

namespace AbortLab.Propagation;

/// <summary>
/// The response body of a call made through <see cref="AbortPropagationHandler"/>: every read carries the scope's
/// token, so reading stops when the scope is aborted even when the caller passed no token, as
/// <c>GetStringAsync(url)</c> does after its headers arrived. A token, not a dispose: disposing a response stream
/// makes SocketsHttpHandler drain the rest first (up to 2 s, seen here), while a cancelled read aborts at once.
/// The call's tracked work ends when the body does.
/// </summary>
internal sealed class AbortPropagatingContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly AbortScope _scope;
    private readonly TrackedWork _work;

    public AbortPropagatingContent(HttpContent inner, AbortScope scope, TrackedWork work)
    {
        _inner = inner;
        _scope = scope;
        _work = work;
        foreach (var header in inner.Headers)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken)
    {
        var stream = await _inner.ReadAsStreamAsync(cancellationToken);
        return new ObservedStream(stream, this);
    }

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(_scope.Token);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, _scope.Token);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _scope.Token);
        try
        {
            await _inner.CopyToAsync(stream, linked.Token);
            Ended(null);
        }
        catch (Exception exception)
        {
            Ended(exception);
            throw;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();

            // Left unread to the end: stopped by the abort, or dropped by the caller.
            Ended(_scope.IsAborted ? new OperationCanceledException(_scope.Token) : null);
        }

        base.Dispose(disposing);
    }

    private void Ended(Exception? exception)
    {
        if (exception is null)
        {
            _work.Complete();
        }
        else
        {
            _work.Fail(exception);
        }
    }

    private sealed class ObservedStream(Stream inner, AbortPropagatingContent owner) : ReadOnlyStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, owner._scope.Token) : null;
            try
            {
                var read = await inner.ReadAsync(buffer, linked?.Token ?? owner._scope.Token);
                if (read == 0 && !buffer.IsEmpty)
                {
                    owner.Ended(null);
                }

                return read;
            }
            catch (Exception exception) when (owner._scope.IsAborted)
            {
                // The abort cancelled the read: say so as a cancellation caused by the request's abort.
                var canceled = new OperationCanceledException("The call was cancelled because the request was aborted.", exception, owner._scope.Token);
                owner.Ended(canceled);
                throw canceled;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
