using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AbortLab.Playwright;

/// <summary>
/// Reads what the app's hops recorded through AbortLab's diagnostics API, from every configured address.
/// </summary>
internal sealed class DiagnosticsReader : IDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly HttpClient _client;
    private readonly IReadOnlyList<Uri> _addresses;
    private readonly string _prefix;

    public DiagnosticsReader(AbortRigOptions options)
    {
        var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
        if (options.IgnoreHttpsErrors)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }

        _client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        _addresses = options.EffectiveDiagnosticsAddresses;
        _prefix = options.DiagnosticsPrefix.TrimEnd('/');
    }

    /// <summary>Every hop's timeline for the tag, merged by id, the earliest first.</summary>
    public async Task<IReadOnlyList<RequestTimeline>> GetTimelinesAsync(string tag, CancellationToken cancellationToken)
    {
        var merged = new Dictionary<string, RequestTimeline>(StringComparer.Ordinal);
        foreach (var address in _addresses)
        {
            var page = await GetAsync<RequestsPage>(address, $"{_prefix}/api/requests?tag={Uri.EscapeDataString(tag)}", cancellationToken);
            foreach (var timeline in page.Requests ?? [])
            {
                merged[timeline.Id] = timeline;
            }
        }

        return [.. merged.Values.OrderBy(t => t.StartedAt)];
    }

    /// <summary>The ids of the connections every address reports open.</summary>
    public async Task<IReadOnlySet<string>> GetOpenConnectionIdsAsync(CancellationToken cancellationToken)
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        foreach (var address in _addresses)
        {
            var page = await GetAsync<ConnectionsPage>(address, $"{_prefix}/api/connections", cancellationToken);
            foreach (var connection in page.Connections ?? [])
            {
                open.Add(connection.ConnectionId);
            }
        }

        return open;
    }

    public void Dispose() => _client.Dispose();

    private async Task<T> GetAsync<T>(Uri address, string pathAndQuery, CancellationToken cancellationToken)
    {
        var url = new Uri(address, pathAndQuery);
        HttpResponseMessage response;
        try
        {
            response = await _client.GetAsync(url, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            throw new AbortRigException($"AbortLab's diagnostics API at {url} did not answer ({exception.Message}). Is the app running, and is that its address?", exception);
        }

        using (response)
        {
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (!response.IsSuccessStatusCode || mediaType != "application/json")
            {
                throw new AbortRigException(
                    $"{url} answered {(int)response.StatusCode} {response.ReasonPhrase} ({mediaType ?? "no content type"}), not AbortLab's diagnostics API: "
                    + "the app does not use AbortLab, or maps it elsewhere. Add builder.Services.AddAbortLab(), app.UseAbortLab() and app.MapAbortLab(), "
                    + $"or point {nameof(AbortRigOptions)}.{nameof(AbortRigOptions.DiagnosticsAddresses)}/{nameof(AbortRigOptions.DiagnosticsPrefix)} at it.");
            }

            try
            {
                return await response.Content.ReadFromJsonAsync<T>(JsonOptions, cancellationToken)
                    ?? throw new AbortRigException($"{url} answered an empty document.");
            }
            catch (JsonException exception)
            {
                throw new AbortRigException($"{url} answered JSON that is not AbortLab's diagnostics API: {exception.Message}", exception);
            }
        }
    }

    private sealed record RequestsPage(IReadOnlyList<RequestTimeline>? Requests);

    private sealed record ConnectionsPage(IReadOnlyList<OpenConnection>? Connections);

    private sealed record OpenConnection(string ConnectionId, string Hop);
}
