using AbortLab.Playwright;

namespace AbortLab.BrowserTests;

/// <summary>
/// The abort matrix: each kind of browser abort against the lab scenarios it makes sense for, on every transport.
/// </summary>
internal static class AbortMatrix
{
    /// <summary>The lab scenarios, as the paths that keep their work running far longer than a cell.</summary>
    public static readonly IReadOnlyDictionary<string, string> Scenarios = new Dictionary<string, string>
    {
        ["slow"] = "/lab/slow?ms=60000",
        ["stream"] = "/lab/stream?ms=60000",
        ["sse"] = "/lab/sse",
        ["ws"] = "/lab/ws",
        ["cpu"] = "/lab/cpu?ms=60000",
        ["upload-read"] = "/lab/upload?readDelayMs=0",
        ["upload-unread"] = "/lab/upload?readDelayMs=-1",
        ["downstream"] = "/lab/downstream?ms=60000",
        ["process"] = "/lab/process?ms=60000",
        ["db"] = "/lab/db?ms=60000",
        ["db-ef"] = "/lab/db-ef?ms=60000",
        // Negative control: the keepalive request must finish after the navigation, within the deadline. Its response
        // comes whole at the end: once headers have arrived and the page is gone, Chromium drops a keepalive
        // response (measured: "slow", which flushes its headers first, is cancelled 30 ms after the navigation).
        ["process-short"] = "/lab/process?ms=3000",
    };

    /// <summary>
    /// Which scenarios each kind is fired at. A kind that needs headers or a body chunk before its abort gets a
    /// scenario that sends them: through YARP, headers reach the browser only with the first body byte, so "slow"
    /// (headers, then silence) would never get that far through the edge.
    /// </summary>
    public static readonly IReadOnlyList<(AbortKind Kind, string[] Scenarios)> Kinds =
    [
        (AbortKind.XhrBeforeHeaders, ["cpu", "db", "db-ef", "process", "downstream"]),
        (AbortKind.XhrAfterHeaders, ["stream", "sse"]),
        (AbortKind.XhrMidBody, ["stream", "sse"]),
        (AbortKind.FetchBeforeResponse, ["cpu", "db", "db-ef", "process", "downstream"]),
        (AbortKind.FetchMidBody, ["stream", "sse"]),
        (AbortKind.ReaderCancel, ["stream", "sse"]),
        (AbortKind.AbortSignalTimeout, ["cpu", "downstream"]),
        (AbortKind.NavigationAway, ["slow", "db"]),
        (AbortKind.PageClose, ["slow", "process"]),
        (AbortKind.ContextClose, ["stream", "cpu"]),
        (AbortKind.BrowserKilled, ["slow"]),
        (AbortKind.EventSourceClose, ["sse"]),
        (AbortKind.WebSocketClose, ["ws"]),
        (AbortKind.XhrUpload, ["upload-read", "upload-unread"]),
        (AbortKind.FetchUpload, ["upload-read", "upload-unread"]),
        (AbortKind.KeepaliveFetch, ["process-short"]),
        (AbortKind.RouteAbort, ["slow"]),
    ];

    public static TheoryData<Transport, AbortKind, string> Cells()
    {
        var data = new TheoryData<Transport, AbortKind, string>();
        foreach (var transport in Enum.GetValues<Transport>())
        {
            foreach (var (kind, scenarios) in Kinds)
            {
                foreach (var scenario in scenarios)
                {
                    data.Add(transport, kind, scenario);
                }
            }
        }

        return data;
    }

    public static IReadOnlyList<string> Hops(Transport transport, string scenario)
    {
        var hops = new List<string>();
        if (transport != Transport.Http1Direct)
        {
            hops.Add("edge");
        }

        hops.Add("app");
        if (scenario == "downstream")
        {
            hops.Add("backend");
        }

        return hops;
    }
}
