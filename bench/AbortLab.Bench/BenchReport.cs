using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AbortLab.Bench;

/// <summary>One table of a scenario: rows of named values, rendered as Markdown and kept raw in the JSON.</summary>
internal sealed class ScenarioReport(string name, string title, string description)
{
    public string Name { get; } = name;

    public string Title { get; } = title;

    public string Description { get; } = description;

    public List<string> Columns { get; } = [];

    public List<ReportRow> Rows { get; } = [];

    public List<string> Notes { get; } = [];

    public ReportRow Add(string label)
    {
        var row = new ReportRow(label);
        Rows.Add(row);
        return row;
    }
}

internal sealed class ReportRow(string label)
{
    public string Label { get; } = label;

    public Dictionary<string, object?> Values { get; } = [];

    public ReportRow Set(string column, object? value)
    {
        Values[column] = value;
        return this;
    }

    public ReportRow Latency(LatencyStats stats) => Set("p50 ms", stats.P50).Set("p90 ms", stats.P90).Set("p99 ms", stats.P99).Set("max ms", stats.Max).Set("missed", stats.Missed).Set("samples", stats.Count);
}

/// <summary>A target the issue sets, whether this run met it, and why not when it did not.</summary>
internal sealed record TargetCheck(string Target, string Measured, bool? Met, string? Explanation = null);

internal sealed class BenchReport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public required MachineInfo Machine { get; init; }

    public required bool Quick { get; init; }

    public List<ScenarioReport> Scenarios { get; } = [];

    public List<TargetCheck> Targets { get; } = [];

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# AbortLab benchmark report{(Quick ? " (quick run: indicative only)" : string.Empty)}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Run {Machine.StartedAt:yyyy-MM-dd HH:mm} UTC on {Machine.Cores} cores ({Machine.Cpu}), {Machine.MemoryGiB:0.#} GiB, {Machine.Os}, {Machine.Runtime}, {Machine.Configuration} build, commit {Machine.Commit}. Peers: {Machine.Peers}.");
        text.AppendLine();
        text.AppendLine("## Targets");
        text.AppendLine();
        text.AppendLine("| target | measured | met |");
        text.AppendLine("|---|---|---|");
        foreach (var target in Targets)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {target.Target} | {target.Measured} | {(target.Met switch { true => "yes", false => "**no**", null => "not measured" })} |");
        }

        foreach (var target in Targets.Where(t => t.Explanation is not null))
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"- {target.Target}: {target.Explanation}");
        }

        foreach (var scenario in Scenarios)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"## {scenario.Title}");
            text.AppendLine();
            text.AppendLine(scenario.Description);
            text.AppendLine();
            var columns = scenario.Rows.SelectMany(r => r.Values.Keys).Distinct().ToList();
            text.AppendLine($"| | {string.Join(" | ", columns)} |");
            text.AppendLine($"|---|{string.Concat(columns.Select(_ => "---|"))}");
            foreach (var row in scenario.Rows)
            {
                text.AppendLine($"| {row.Label} | {string.Join(" | ", columns.Select(c => Format(row.Values.GetValueOrDefault(c))))} |");
            }

            foreach (var note in scenario.Notes)
            {
                text.AppendLine();
                text.AppendLine(note);
            }
        }

        return text.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    private static string Format(object? value) => value switch
    {
        null => "-",
        double d => LatencyStats.Format(d),
        float f => LatencyStats.Format(f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "-",
    };
}
