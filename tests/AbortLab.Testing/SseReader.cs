using System.Text;

namespace AbortLab.Testing;

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

    public static async Task<SseReader> OpenAsync(HttpClient http, string path, string? lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        return new SseReader(response, new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8));
    }

    public async Task<List<SseMessage>> ReadAsync(int count)
    {
        using var timeout = new CancellationTokenSource(KestrelTestHost.WaitTimeout);
        var messages = new List<SseMessage>();
        string? id = null;
        string? name = null;
        var data = new StringBuilder();
        while (messages.Count < count)
        {
            var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new IOException("The stream ended.");
            if (line.Length == 0)
            {
                if (id is not null)
                {
                    messages.Add(new SseMessage(id, name ?? "message", data.ToString()));
                }

                (id, name) = (null, null);
                data.Clear();
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
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

    public async Task<SseMessage> ReadUntilAsync(Func<SseMessage, bool> predicate)
    {
        using var timeout = new CancellationTokenSource(KestrelTestHost.WaitTimeout);
        while (true)
        {
            timeout.Token.ThrowIfCancellationRequested();
            var message = (await ReadAsync(1))[0];
            if (predicate(message))
            {
                return message;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One event; <see cref="Id"/> is <c>{epoch}-{sequence}</c>.</summary>
internal sealed record SseMessage(string Id, string Event, string Data)
{
    public string Epoch => Id[..Id.LastIndexOf('-')];

    public long Sequence => long.Parse(Id.AsSpan(Id.LastIndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture);
}
