using System.Globalization;
using System.Net;
using System.Text;
using AbortLab.Playwright;

namespace AbortLab.Rig;

/// <summary>
/// The results as one self-contained HTML page (no script, no outside resource): a summary table, then each cell's
/// timelines drawn as a waterfall from the browser's abort: one row per hop, its tracked work under it.
/// </summary>
internal static class HtmlReport
{
    private const string Style = """
        body{font:14px system-ui,sans-serif;margin:2rem;color:#1f2328}table{border-collapse:collapse}td,th{padding:.25rem .6rem;border-bottom:1px solid #d0d7de;text-align:left}
        .pass{color:#1a7f37}.fail{color:#cf222e}.cell{margin:1.5rem 0;padding:1rem;border:1px solid #d0d7de;border-radius:6px}
        .row{display:flex;align-items:center;height:20px}.label{width:16rem;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
        .track{position:relative;flex:1;height:14px;background:#f6f8fa}.bar{position:absolute;top:2px;height:10px;background:#54aeff}.work{background:#8250df}
        .running{background:#cf222e}.mark{position:absolute;top:0;width:2px;height:14px}.abort{background:#cf222e}.seen{background:#bf8700}.closed{background:#1f2328}
        .legend span{margin-right:1rem;font-size:12px}ul{margin:.3rem 0}
        """;

    public static string Build(Uri target, IReadOnlyList<CellResult> results, DateTimeOffset startedAt)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>abortlab-rig report</title><style>").Append(Style).Append("</style></head><body>");
        html.Append(CultureInfo.InvariantCulture, $"<h1>abortlab-rig: {results.Count(r => r.Verdict.Passed)} of {results.Count} cells passed</h1>");
        html.Append(CultureInfo.InvariantCulture, $"<p>{E(target.ToString())}, {E(startedAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture))}</p>");
        html.Append("<p class=\"legend\"><span>▮ blue: a hop's request</span><span>▮ purple: tracked work</span><span>▮ red: still running</span><span>| red: the browser's abort</span><span>| amber: the hop saw it</span><span>| black: connection closed</span></p>");
        html.Append("<table><tr><th>cell</th><th>verdict</th><th>detection</th><th>work stopped</th><th>socket closed</th></tr>");
        foreach (var (result, index) in results.Select((r, i) => (r, i)))
        {
            var verdict = result.Verdict;
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><a href=\"#cell-{index}\">{E(result.Cell.Name)}</a></td><td class=\"{(verdict.Passed ? "pass" : "fail")}\">{(verdict.Passed ? "passed" : "FAILED")}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{Ms(verdict.DetectionMs)}</td><td>{Ms(verdict.WorkStoppedMs)}</td><td>{Ms(verdict.ConnectionClosedMs)}</td></tr>");
        }

        html.Append("</table>");
        foreach (var (result, index) in results.Select((r, i) => (r, i)))
        {
            AppendCell(html, result, index);
        }

        return html.Append("</body></html>").ToString();
    }

    private static void AppendCell(StringBuilder html, CellResult result, int index)
    {
        var verdict = result.Verdict;
        html.Append(CultureInfo.InvariantCulture, $"<div class=\"cell\" id=\"cell-{index}\"><h2 class=\"{(verdict.Passed ? "pass" : "fail")}\">{E(result.Cell.Name)}: {(verdict.Passed ? "passed" : "FAILED")}</h2>");
        html.Append(CultureInfo.InvariantCulture, $"<p>{E(verdict.Protocol ?? "nothing recorded")}; browser: {E(verdict.BrowserState ?? "-")}</p>");
        if (verdict.Failures.Count > 0)
        {
            html.Append("<ul>");
            foreach (var failure in verdict.Failures)
            {
                html.Append(CultureInfo.InvariantCulture, $"<li class=\"fail\">{E(failure)}</li>");
            }

            html.Append("</ul>");
        }

        foreach (var note in verdict.Notes)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>note: {E(note)}</p>");
        }

        AppendWaterfall(html, verdict);
        html.Append("</div>");
    }

    private static void AppendWaterfall(StringBuilder html, AbortVerdict verdict)
    {
        var timelines = verdict.Timelines;
        if (timelines.Count == 0)
        {
            return;
        }

        var instants = timelines.SelectMany(t => new[] { t.StartedAt, t.AbortedAt, t.CompletedAt, t.ConnectionClosedAt }
                .Concat(t.Work.SelectMany(w => new[] { w.StartedAt, w.EndedAt })))
            .Append(verdict.BrowserAbortedAt)
            .OfType<DateTimeOffset>()
            .ToList();
        var start = instants.Min();
        var end = instants.Max();
        var span = Math.Max(1, (end - start).TotalMilliseconds);
        string At(DateTimeOffset at) => ((at - start).TotalMilliseconds / span * 100).ToString("0.###", CultureInfo.InvariantCulture);
        string Width(DateTimeOffset from, DateTimeOffset? to) => Math.Max(0.3, ((to ?? end) - from).TotalMilliseconds / span * 100).ToString("0.###", CultureInfo.InvariantCulture);

        html.Append(CultureInfo.InvariantCulture, $"<p>{(end - start).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture)} ms shown</p>");
        foreach (var timeline in timelines)
        {
            html.Append(CultureInfo.InvariantCulture, $"<div class=\"row\"><div class=\"label\">{E(timeline.Hop)} {E(timeline.Method)} {E(timeline.StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "…")} {E(timeline.AbortReason?.ToString() ?? string.Empty)}</div><div class=\"track\">")
                .Append(CultureInfo.InvariantCulture, $"<div class=\"bar{(timeline.CompletedAt is null ? " running" : string.Empty)}\" style=\"left:{At(timeline.StartedAt)}%;width:{Width(timeline.StartedAt, timeline.CompletedAt)}%\"></div>");
            Mark(html, verdict.BrowserAbortedAt, "abort", At);
            Mark(html, timeline.AbortedAt, "seen", At);
            Mark(html, timeline.ConnectionClosedAt, "closed", At);
            html.Append("</div></div>");
            foreach (var work in timeline.Work)
            {
                html.Append(CultureInfo.InvariantCulture, $"<div class=\"row\"><div class=\"label\">&nbsp;&nbsp;{E(work.Name)} ({work.Outcome})</div><div class=\"track\">")
                    .Append(CultureInfo.InvariantCulture, $"<div class=\"bar work{(work.EndedAt is null ? " running" : string.Empty)}\" style=\"left:{At(work.StartedAt)}%;width:{Width(work.StartedAt, work.EndedAt)}%\"></div></div></div>");
            }
        }
    }

    private static void Mark(StringBuilder html, DateTimeOffset? at, string kind, Func<DateTimeOffset, string> position)
    {
        if (at is { } value)
        {
            html.Append(CultureInfo.InvariantCulture, $"<div class=\"mark {kind}\" style=\"left:{position(value)}%\"></div>");
        }
    }

    private static string Ms(double? value) => value is { } ms ? ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-";

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
