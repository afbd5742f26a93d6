using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
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
    private readonly HashSet<int> _ownLocalPorts = [];

    public DiagnosticsReader(AbortRigOptions options)
    {
        // One connection per address, opened before the first abort: the rig's own sockets never look like
        // connections the app opened during a request.
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            MaxConnectionsPerServer = 1,
            ConnectCallback = ConnectAsync,
        };
        if (options.IgnoreHttpsErrors)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }

        _client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        _addresses = options.EffectiveDiagnosticsAddresses;
        _prefix = options.DiagnosticsPrefix.TrimEnd('/');
    }

    /// <summary>The addresses read.</summary>
    public IReadOnlyList<Uri> Addresses => _addresses;

    /// <summary>
    /// The local ports of the reader's own connections: when the rig runs in the app's process (an xUnit fixture), they
    /// are the process's outbound connections too, and must not be judged as the app's.
    /// </summary>
    public IReadOnlySet<int> OwnLocalPorts
    {
        get
        {
            lock (_ownLocalPorts)
            {
                return new HashSet<int>(_ownLocalPorts);
            }
        }
    }

    /// <summary>
    /// Every hop's timeline for the tag, and every other timeline of the same traces (a hop the tag did not reach,
    /// such as a backend called without AbortLab's handler), the earliest first. Timelines are told apart by hop and
    /// id: ids are counters of each process, so two hosts both have a request "2".
    /// </summary>
    public async Task<IReadOnlyList<RequestTimeline>> GetTimelinesAsync(string tag, CancellationToken cancellationToken)
    {
        var merged = new Dictionary<(string Hop, string Id, string TraceId), RequestTimeline>();
        foreach (var address in _addresses)
        {
            var page = await GetAsync<RequestsPage>(address, $"{_prefix}/api/requests?tag={Uri.EscapeDataString(tag)}", cancellationToken);
            foreach (var timeline in page.Requests ?? [])
            {
                merged[(timeline.Hop, timeline.Id, timeline.TraceId)] = timeline;
            }
        }

        foreach (var traceId in merged.Values.Select(t => t.TraceId).Distinct(StringComparer.Ordinal).ToList())
        {
            foreach (var address in _addresses)
            {
                var page = await GetAsync<RequestsPage>(address, $"{_prefix}/api/requests?traceId={Uri.EscapeDataString(traceId)}", cancellationToken);
                foreach (var timeline in page.Requests ?? [])
                {
                    merged.TryAdd((timeline.Hop, timeline.Id, timeline.TraceId), timeline);
                }
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

    /// <summary>What the operating system says each process behind the addresses does, one snapshot per process.</summary>
    public async Task<IReadOnlyList<ProcessReading>> GetProcessesAsync(CancellationToken cancellationToken)
    {
        var snapshots = new List<ProcessReading>();
        foreach (var address in _addresses)
        {
            var snapshot = await GetAsync<ProcessReading>(address, $"{_prefix}/api/process", cancellationToken);
            if (!snapshots.Any(s => s.ProcessId == snapshot.ProcessId))
            {
                snapshots.Add(snapshot);
            }
        }

        return snapshots;
    }

    public void Dispose() => _client.Dispose();

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            if (socket.LocalEndPoint is IPEndPoint local)
            {
                lock (_ownLocalPorts)
                {
                    _ownLocalPorts.Add(local.Port);
                }
            }

            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

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
                throw new AbortRigException($"{url} answered JSON that is not AbortLab's diagnostics API (an older AbortLab?): {exception.Message}", exception);
            }
        }
    }

    private sealed record RequestsPage(IReadOnlyList<RequestTimeline>? Requests);

    private sealed record ConnectionsPage(IReadOnlyList<OpenConnection>? Connections);

    private sealed record OpenConnection(string ConnectionId, string Hop);
}
