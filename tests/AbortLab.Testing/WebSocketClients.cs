using System.Net.WebSockets;

namespace AbortLab.Testing;

/// <summary>The two WebSocket clients of the shutdown tests: one that answers a close frame, one that never does.</summary>
internal static class WebSocketClients
{
    /// <summary>Receives until the server's close frame, answers it, and returns its status.</summary>
    public static async Task<WebSocketCloseStatus?> AnswerTheCloseAsync(ClientWebSocket socket)
    {
        var buffer = new byte[1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return result.CloseStatus;
            }
        }
    }

    /// <summary>Upgrades to a WebSocket on <paramref name="path"/>, then never reads nor answers: a client whose tab froze.</summary>
    public static async Task<RawHttpConnection> OpenSilentAsync(int port, string path)
    {
        var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync($"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        var head = await client.ReadHeadAsync();
        if (head.StatusCode != 101)
        {
            client.Dispose();
            throw new InvalidOperationException($"The WebSocket upgrade of {path} was answered {head.StatusCode}.");
        }

        return client;
    }
}
