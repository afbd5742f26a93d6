using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace AbortLab.Uploads;

/// <summary>
/// Reads the server's request body through its <see cref="PipeReader"/>, turning a cancelled token into
/// <see cref="PipeReader.CancelPendingRead"/>. Kestrel's HTTP/1.x body reader, when a read is cancelled by a token,
/// throws and stays "reading" (dotnet/aspnetcore#17840); its drain after the response then fails with "Reading is
/// already in progress" and logs an Error. A read ended by <c>CancelPendingRead</c> returns a cancelled result that
/// is completed with <c>AdvanceTo</c>, the way Kestrel expects, before the cancellation is thrown. A read that fails
/// because the connection broke (a reset) leaves the reader "reading" too; the connection is then aborted, which is
/// what tells Kestrel not to drain a body nobody can send any more.
/// </summary>
internal sealed class ServerBodyReader(PipeReader reader, Action abortConnection)
{
    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var cancel = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((ServerBodyReader)state!).CancelPendingRead(), this)
            : default;
        while (true)
        {
            // No token on purpose: the registration above cancels this read without leaving the reader "reading".
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(default);
            }
            catch (IOException exception) when (exception is not Microsoft.AspNetCore.Http.BadHttpRequestException)
            {
                // A malformed or oversized body (BadHttpRequestException) is Kestrel's to answer with a 4xx.
                abortConnection();
                throw;
            }

            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                reader.AdvanceTo(buffer.Start);
                cancellationToken.ThrowIfCancellationRequested();
                throw new OperationCanceledException("The read was canceled.");
            }

            if (destination.IsEmpty)
            {
                // A zero-byte read waits for data and consumes none of it.
                reader.AdvanceTo(buffer.Start);
                return 0;
            }

            var count = (int)Math.Min(buffer.Length, destination.Length);
            buffer.Slice(0, count).CopyTo(destination.Span);
            reader.AdvanceTo(buffer.GetPosition(count));
            if (count > 0 || result.IsCompleted)
            {
                return count;
            }
        }
    }

    // Runs inside whoever cancels the token (the middleware's release, an abort): it must not throw there. Kestrel's
    // reader refuses once the request was aborted; the pending read then waits for the connection to go (seen 1.3 s
    // under a storm), so the connection is aborted, which ends the read at once.
    private void CancelPendingRead()
    {
        try
        {
            reader.CancelPendingRead();
        }
        catch (Exception exception) when (exception is ConnectionAbortedException or ObjectDisposedException or InvalidOperationException)
        {
            abortConnection();
        }
    }
}
