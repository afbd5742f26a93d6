using System.Text;

namespace AbortLab.Tests.Infrastructure;

/// <summary>A minimal Server-Sent Events reader for tests.</summary>
internal sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public static async Task<SseReader> OpenAsync(HttpClient http, string path, long? lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        return new SseReader(response, new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8));
    }

    public async Task<List<SseMessage>> ReadAsync(int count)
    {
        using var timeout = new CancellationTokenSource(KestrelTestHost.WaitTimeout);
        var messages = new List<SseMessage>();
        long id = -1;
        string? name = null;
        var data = new StringBuilder();
        while (messages.Count < count)
        {
            var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new IOException("The stream ended.");
            if (line.Length == 0)
            {
                if (id >= 0)
                {
                    messages.Add(new SseMessage(id, name ?? "message", data.ToString()));
                }

                (id, name) = (-1, null);
                data.Clear();
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line[6..]);
            }
        }

        return messages;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal sealed record SseMessage(long Id, string Event, string Data);
