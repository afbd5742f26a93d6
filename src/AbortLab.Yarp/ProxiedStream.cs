using System.Net;
using System.Text;
using AbortLab.Integration;
using AbortLab.Streams;
using Microsoft.AspNetCore.Http;

namespace AbortLab.Yarp;

/// <summary>
/// An SSE stream or a WebSocket that the proxy forwards. The proxy's own shutdown would cut it without a word (YARP
/// copies it under the request's token), so on shutdown the proxy says goodbye itself, as the app's
/// <see cref="ServerSentEventStream"/> and <see cref="WebSocketSession"/> would: at the next event or frame boundary
/// it sends <c>event: shutdown</c> or a 1001 <c>shutdown</c> close frame, waits for a WebSocket client's close reply
/// (a bounded second), then ends the forward as a normal end of the upstream body.
/// </summary>
internal sealed class ProxiedStream
{
    /// <summary>How long after the notice the proxy waits for an event or frame to end before it gives up the goodbye.</summary>
    public static readonly TimeSpan BoundaryTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How long a WebSocket client has to answer the close frame (as <see cref="WebSocketSession"/> gives it).</summary>
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(1);

    private static readonly object ItemsKey = typeof(ProxiedStream);

    private readonly CancellationTokenSource _told = new();
    private readonly CancellationTokenSource _boundaryExpired = new();
    private readonly TaskCompletionSource _replied = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProxiedStream(AbortScope scope, bool isWebSocket)
    {
        Scope = scope;
        IsWebSocket = isWebSocket;
    }

    public AbortScope Scope { get; }

    public bool IsWebSocket { get; }

    /// <summary>Fires when the proxy is shutting down.</summary>
    public CancellationToken ToldToken => _told.Token;

    /// <summary>Fires <see cref="BoundaryTimeout"/> after the notice.</summary>
    public CancellationToken BoundaryExpiredToken => _boundaryExpired.Token;

    public bool IsTold => _told.IsCancellationRequested;

    /// <summary>The goodbye, as the client's protocol says it.</summary>
    public ReadOnlyMemory<byte> Goodbye => IsWebSocket ? WebSocketGoodbye : SseGoodbye;

    private static ReadOnlyMemory<byte> SseGoodbye { get; } = Encoding.UTF8.GetBytes($"event: {ServerSentEventStream.ShutdownEventName}\ndata: server shutting down\n\n");

    // FIN + close opcode, unmasked (server to client), payload: status 1001 (going away) and the description.
    private static ReadOnlyMemory<byte> WebSocketGoodbye { get; } = CloseFrame((ushort)System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, WebSocketSession.ShutdownDescription);

    /// <summary>
    /// Wraps the upstream body of an SSE or WebSocket response so that the proxy can say goodbye through it, and
    /// marks the request's scope a stream, told on shutdown through this object instead of its token.
    /// </summary>
    public static void WrapIfStream(HttpRequestMessage request, HttpResponseMessage response, AbortScope scope, HttpContext context)
    {
        var isWebSocket = IsWebSocketUpgrade(request, response);
        if (!isWebSocket && !IsEventStream(response))
        {
            return;
        }

        var stream = new ProxiedStream(scope, isWebSocket);
        response.Content = new GoodbyeContent(response.Content, stream);
        context.Items[ItemsKey] = stream;
        scope.MarkStream(stream.Tell);
    }

    public static ProxiedStream? Find(HttpContext context) =>
        context.Items.TryGetValue(ItemsKey, out var value) ? value as ProxiedStream : null;

    /// <summary>The goodbye was handed to the client's connection: for SSE, all a server can know.</summary>
    public void GoodbyeDelivered()
    {
        if (!IsWebSocket)
        {
            Scope.AcknowledgeShutdown();
        }
    }

    /// <summary>The WebSocket client answered the close frame.</summary>
    public void Replied()
    {
        Scope.AcknowledgeShutdown();
        _replied.TrySetResult();
    }

    /// <summary>Waits for the client's close reply, at most <see cref="ReplyTimeout"/>.</summary>
    public async Task WaitForReplyAsync(TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        try
        {
            await _replied.Task.WaitAsync(ReplyTimeout, timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            // No answer: the forward ends all the same, and the report does not count it acknowledged.
        }
    }

    private void Tell()
    {
        _boundaryExpired.CancelAfter(BoundaryTimeout);
        _told.Cancel();
    }

    private static bool IsWebSocketUpgrade(HttpRequestMessage request, HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.SwitchingProtocols
            ? response.Headers.Upgrade.Any(u => string.Equals(u.Name, "websocket", StringComparison.OrdinalIgnoreCase))
            : response.StatusCode == HttpStatusCode.OK && request.Method == HttpMethod.Connect &&
              string.Equals(request.Headers.Protocol, "websocket", StringComparison.OrdinalIgnoreCase);

    private static bool IsEventStream(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.OK &&
        string.Equals(response.Content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);

    private static byte[] CloseFrame(ushort status, string description)
    {
        var text = Encoding.UTF8.GetBytes(description);
        var frame = new byte[4 + text.Length];
        frame[0] = 0x80 | WebSocketFrameCursor.CloseOpcode;
        frame[1] = (byte)(2 + text.Length);
        frame[2] = (byte)(status >> 8);
        frame[3] = (byte)status;
        text.CopyTo(frame, 4);
        return frame;
    }
}
