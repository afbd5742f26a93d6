using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using AbortLab.Playwright;

namespace AbortLab.BrowserTests;

/// <summary>
/// Collects every cell's verdict and writes the matrix as a Markdown table (the README's table comes from it).
/// </summary>
internal sealed class MatrixReport
{
    private readonly ConcurrentDictionary<(AbortKind Kind, string Scenario, Transport Transport), AbortVerdict> _cells = new();

    public void Add(Transport transport, AbortKind kind, string scenario, AbortVerdict verdict) => _cells[(kind, scenario, transport)] = verdict;

    public void Write(string path)
    {
        if (_cells.IsEmpty)
        {
            return;
        }

        var text = new StringBuilder();
        text.AppendLine("| abort kind | scenario | HTTP/1.1 direct | HTTP/1.1 via edge | HTTP/2 (TLS) via edge |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var (kind, scenarios) in AbortMatrix.Kinds)
        {
            foreach (var scenario in scenarios)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {kind} | {scenario} |");
                foreach (var transport in Enum.GetValues<Transport>())
                {
                    text.Append(' ').Append(_cells.TryGetValue((kind, scenario, transport), out var verdict) ? Describe(verdict) : "not run").Append(" |");
                }

                text.AppendLine();
            }
        }

        text.AppendLine();
        text.AppendLine("Each cell: detection latency (browser abort → first hop's abort), then last piece of work stopped, then the socket: closed after N ms, or 'kept' (HTTP/2 stream reset, connection still open). Negative controls: 'completed' (keepalive outlived the navigation) and 'never reached' (route.abort()).");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ToString());
    }

    private static string Describe(AbortVerdict verdict)
    {
        if (!verdict.Passed)
        {
            return "**FAILED**";
        }

        return verdict.Expectation switch
        {
            AbortExpectation.Completed => $"completed {Ms(verdict.WorkStoppedMs)} after navigation",
            AbortExpectation.NeverReached => "never reached",
            _ => $"{Ms(verdict.DetectionMs)} / work {Ms(verdict.WorkStoppedMs)} / {(verdict.ConnectionKept == true ? "kept" : "closed " + Ms(verdict.ConnectionClosedMs))}",
        };
    }

    private static string Ms(double? value) => value is { } ms ? ms.ToString(ms < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " ms" : "-";
}
