using System.Buffers;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace AbortLab.Streams;

/// <summary>
/// A WebSocket endpoint run under the request's <see cref="AbortScope"/>: one receive loop watches for the client's
/// close frame or a dead connection and stops the app's loop at once (the scope is aborted as ClientDisconnected);
/// on server shutdown the client first gets a close frame, 1001 "shutdown", and a moment to acknowledge it.
/// </summary>
/// <remarks>
/// Cancelling a pending <see cref="WebSocket"/> send or receive aborts the socket, and an aborted socket can send no
/// close frame. So the session keeps the socket's own operations on a token that fires only for the final teardown,
/// and its loop sends through <see cref="SendAsync(ReadOnlyMemory{byte}, WebSocketMessageType)"/>, which checks the
/// scope before each message instead.
/// </remarks>
public sealed class WebSocketSession
{
    /// <summary>The close description sent on server shutdown.</summary>
    public const string ShutdownDescription = "shutdown";

    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(1);

    private readonly WebSocket _socket;
    private readonly CancellationTokenSource _session;
    private readonly CancellationTokenSource _teardown = new();
    private volatile bool _serverClosing;

    private WebSocketSession(WebSocket socket, AbortScope scope)
    {
        _socket = socket;
        Scope = scope;
        _session = CancellationTokenSource.CreateLinkedTokenSource(scope.Token);
    }

    /// <summary>Gets the scope of the request.</summary>
    public AbortScope Scope { get; }

    /// <summary>Gets a token that fires when the session must end: the client left, or the scope was aborted.</summary>
    public CancellationToken Token => _session.Token;

    /// <summary>
    /// Accepts the WebSocket and runs <paramref name="loop"/> as tracked work until it returns, the client closes, or
    /// the scope is aborted. A request that is not a WebSocket request gets 400.
    /// </summary>
    /// <param name="context">The request's context; the request must run under <c>UseAbortLab()</c>.</param>
    /// <param name="loop">Sends messages through the session; its token fires when the session must end.</param>
    /// <param name="onMessage">Called for each whole text or binary message the client sends, if given.</param>
    /// <returns>A task that completes when the session has ended.</returns>
    public static async Task RunAsync(
        HttpContext context,
        Func<WebSocketSession, CancellationToken, Task> loop,
        Func<WebSocketMessageType, ReadOnlyMemory<byte>, CancellationToken, Task>? onMessage = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(loop);
        var scope = context.GetAbortScope();
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("This endpoint takes WebSocket requests only.", scope.Token);
            return;
        }

        scope.IsStream = true;
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var session = new WebSocketSession(socket, scope);
        try
        {
            await session.RunCoreAsync(loop, onMessage);
        }
        finally
        {
            session._session.Dispose();
            session._teardown.Dispose();
        }
    }

    /// <summary>
    /// Sends one whole message, unless the session has ended.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="messageType">Text or binary.</param>
    /// <returns>A task that completes when the message was sent.</returns>
    /// <exception cref="OperationCanceledException">The session has ended.</exception>
    public async Task SendAsync(ReadOnlyMemory<byte> message, WebSocketMessageType messageType)
    {
        _session.Token.ThrowIfCancellationRequested();
        try
        {
            await _socket.SendAsync(message, messageType, endOfMessage: true, _teardown.Token);
        }
        catch (Exception exception) when (exception is WebSocketException or IOException or ObjectDisposedException && _socket.State is WebSocketState.Aborted or WebSocketState.Closed)
        {
            // The connection went away under the send, before the receive loop said so (seen under an abort storm):
            // the client left, and the loop gets the session's cancellation, not a WebSocketException.
            if (!_serverClosing)
            {
                Scope.Abort(AbortReason.ClientDisconnected, AbortDetection.Server);
            }

            await _session.CancelAsync();
            throw new OperationCanceledException("The WebSocket client is gone.", exception, _session.Token);
        }
    }

    /// <summary>
    /// Sends one UTF-8 text message, unless the session has ended.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <returns>A task that completes when the message was sent.</returns>
    /// <exception cref="OperationCanceledException">The session has ended.</exception>
    public Task SendAsync(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);
    }

    private async Task RunCoreAsync(Func<WebSocketSession, CancellationToken, Task> loop, Func<WebSocketMessageType, ReadOnlyMemory<byte>, CancellationToken, Task>? onMessage)
    {
        var receiving = ReceiveAsync(onMessage);
        using (var work = Scope.Track("websocket"))
        {
            try
            {
                await loop(this, _session.Token);
                work.Complete();
            }
            catch (Exception exception) when (_session.IsCancellationRequested && AbortExceptions.IsCausedByAbort(exception))
            {
                work.Cancel();
            }
        }

        _serverClosing = true;

        // The close frame and the wait for its reply are bounded: the zombie watchdog judges the session after them.
        Scope.SayingGoodbyeFor(CloseHandshakeTimeout + CloseHandshakeTimeout);
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            var (status, description) = Scope.Reason == AbortReason.ServerShutdown
                ? (WebSocketCloseStatus.EndpointUnavailable, ShutdownDescription)
                : (WebSocketCloseStatus.NormalClosure, "done");
            try
            {
                await _socket.CloseOutputAsync(status, description, _teardown.Token).WaitAsync(CloseHandshakeTimeout, Scope.Timeline.TimeProvider);
            }
            catch (Exception exception) when (exception is TimeoutException or OperationCanceledException or WebSocketException or IOException)
            {
            }
        }

        // Give the client a moment to acknowledge; then tear down whatever is left.
        try
        {
            await receiving.WaitAsync(CloseHandshakeTimeout, Scope.Timeline.TimeProvider);
        }
        catch (TimeoutException)
        {
            await _teardown.CancelAsync();
            await receiving;
        }
    }

    private async Task ReceiveAsync(Func<WebSocketMessageType, ReadOnlyMemory<byte>, CancellationToken, Task>? onMessage)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.GetMemory(4096), _teardown.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (_serverClosing && Scope.Reason == AbortReason.ServerShutdown)
                    {
                        // The client answered the shutdown close frame: the only acknowledgement that counts.
                        Scope.AcknowledgeShutdown();
                    }

                    break;
                }

                buffer.Advance(result.Count);
                if (result.EndOfMessage)
                {
                    if (onMessage is not null)
                    {
                        await onMessage(result.MessageType, buffer.WrittenMemory, _session.Token);
                    }

                    buffer.ResetWrittenCount();
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The connection ended under us, or the teardown came: either way the session is over.
        }

        // The client closed or vanished before the server was done: it went away.
        if (!_serverClosing && !_session.IsCancellationRequested)
        {
            Scope.Abort(AbortReason.ClientDisconnected, AbortDetection.Server);
        }

        await _session.CancelAsync();
    }
}
