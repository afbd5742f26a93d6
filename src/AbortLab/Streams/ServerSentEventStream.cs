using System.Globalization;
using System.Text;
using AbortLab.IO;
using Microsoft.AspNetCore.Http;

namespace AbortLab.Streams;

/// <summary>
/// A <c>text/event-stream</c> response whose loop watches the request's <see cref="AbortScope"/>. After a client
/// leaves, writes keep "succeeding" into the server's buffers for a while, so a loop that waits for a write error
/// runs on: this one ends as soon as the scope is aborted. On server shutdown the stream sends a last
/// <c>shutdown</c> event before it ends, so clients know to reconnect elsewhere or later.
/// </summary>
/// <remarks>
/// Cancelling a write or flush in flight makes Kestrel abort the connection (a partial write cannot be taken back),
/// which would lose the shutdown event. So the scope is checked between writes, and a write in flight is cancelled
/// only when the client is gone already.
/// </remarks>
public sealed class ServerSentEventStream
{
    /// <summary>The name of the event sent before the stream ends on server shutdown.</summary>
    public const string ShutdownEventName = "shutdown";

    private static readonly TimeSpan FinalWriteTimeout = TimeSpan.FromSeconds(1);

    private readonly HttpResponse _response;
    private readonly CancellationTokenSource _clientGone = new();

    private ServerSentEventStream(HttpContext context, AbortScope scope)
    {
        _response = context.Response;
        Scope = scope;
        LastEventId = context.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } id ? id : null;
    }

    /// <summary>Gets the scope of the request.</summary>
    public AbortScope Scope { get; }

    /// <summary>Gets the <c>Last-Event-ID</c> a reconnecting client sent, if any.</summary>
    public string? LastEventId { get; }

    /// <summary>
    /// Starts the event stream and runs <paramref name="loop"/> as tracked work with the scope's token. Returns when
    /// the loop returns, or as soon as the scope is aborted; after a shutdown abort, a last <c>shutdown</c> event is
    /// sent first.
    /// </summary>
    /// <param name="context">The request's context; the request must run under <c>UseAbortLab()</c>.</param>
    /// <param name="loop">Sends events until it is done or its token fires.</param>
    /// <param name="retry">The reconnection delay to advise the client, if any.</param>
    /// <returns>A task that completes when the stream has ended.</returns>
    public static async Task RunAsync(HttpContext context, Func<ServerSentEventStream, CancellationToken, Task> loop, TimeSpan? retry = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(loop);
        var scope = context.GetAbortScope();
        scope.IsStream = true;
        var stream = new ServerSentEventStream(context, scope);

        var response = context.Response;
        EventStreamHeaders.Apply(context);

        using var work = scope.Track("sse");
        await using var clientGone = scope.Token.UnsafeRegister(static state => ((ServerSentEventStream)state!).OnScopeAborted(), stream);
        try
        {
            scope.Token.ThrowIfCancellationRequested();
            await response.StartAsync(stream._clientGone.Token);
            if (retry is { } delay)
            {
                await stream.WriteRawAsync($"retry: {(long)delay.TotalMilliseconds}\n\n", stream._clientGone.Token);
            }

            await loop(stream, scope.Token);
            work.Complete();
        }
        catch (OperationCanceledException) when (scope.IsAborted)
        {
            work.Cancel();
        }

        if (scope.Reason == AbortReason.ServerShutdown && response.HasStarted)
        {
            scope.SayingGoodbyeFor(FinalWriteTimeout);
            if (await stream.SendFinalAsync(ShutdownEventName, "server shutting down"))
            {
                // SSE has no way back: a goodbye flushed to the connection is as far as the server can know.
                scope.AcknowledgeShutdown();
            }
        }
    }

    /// <summary>
    /// Sends one event.
    /// </summary>
    /// <param name="data">The data; each of its lines becomes a <c>data:</c> line.</param>
    /// <param name="eventName">The event's name, if any: one line.</param>
    /// <param name="id">The event's id, if any: one line.</param>
    /// <param name="cancellationToken">Stops the write; the scope's token stops it too.</param>
    /// <returns>A task that completes when the event has been flushed.</returns>
    /// <exception cref="OperationCanceledException">The scope was aborted.</exception>
    public Task SendAsync(string data, string? eventName = null, string? id = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var text = Format(data, eventName, id);
        cancellationToken.ThrowIfCancellationRequested();
        Scope.Token.ThrowIfCancellationRequested();
        return WriteRawAsync(text, _clientGone.Token);
    }

    // Writes in flight stop only when nobody is left to read them; on shutdown they finish, then the last event.
    private void OnScopeAborted()
    {
        if (Scope.Reason != AbortReason.ServerShutdown)
        {
            _clientGone.Cancel();
        }
    }

    private async Task<bool> SendFinalAsync(string eventName, string data)
    {
        // The scope's token has fired: this last write gets a short deadline of its own.
        using var deadline = new CancellationTokenSource(FinalWriteTimeout);
        try
        {
            await WriteRawAsync(Format(data, eventName, null), deadline.Token);
            return true;
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client is gone too: nothing more to tell it.
            return false;
        }
    }

    private async Task WriteRawAsync(string text, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await _response.Body.FlushAsync(cancellationToken);
    }

    private static string Format(string data, string? eventName, string? id)
    {
        var builder = new StringBuilder(data.Length + 32);
        if (eventName is not null)
        {
            builder.Append("event: ").Append(OneLine(eventName, nameof(eventName))).Append('\n');
        }

        if (id is not null)
        {
            builder.Append("id: ").Append(OneLine(id, nameof(id))).Append('\n');
        }

        foreach (var line in data.ReplaceLineEndings("\n").Split('\n'))
        {
            builder.Append("data: ").Append(line).Append('\n');
        }

        return builder.Append('\n').ToString();
    }

    private static string OneLine(string value, string name) => value.AsSpan().ContainsAny('\r', '\n')
        ? throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The {name} of an event must be one line."), name)
        : value;
}
