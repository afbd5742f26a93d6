using System.Globalization;

namespace AbortLab.Bench;

/// <summary>The command line: <c>[--quick] [--output DIR] [--only a,b]</c>.</summary>
internal sealed record BenchSettings(bool Quick, string OutputDirectory, IReadOnlySet<string> Only)
{
    public static readonly string[] ScenarioNames = ["detection", "hop", "load", "overhead", "storm", "upload", "scope-cost", "subscribers", "live", "memory", "database", "browser-database"];

    public const string Usage = """
        usage: dotnet run -c Release --project bench/AbortLab.Bench -- [--quick] [--output DIR] [--only NAME,...]
          --quick    fewer samples and shorter runs; numbers are indicative only
          --output   where the report goes (default: bench/results in the repository)
          --only     run some scenarios (their report only; latest.md stays the last full run): detection, hop, load,
             overhead, storm, upload, scope-cost, subscribers, live, memory, database, browser-database
          --aborts N aborts per row in the detection scenario (default 1000, quick 150; up to 1000000), to hunt rare misses
        """;

    /// <summary>Aborts per server and per way of leaving (FIN, RST).</summary>
    public int Aborts => AbortsOverride ?? (Quick ? 150 : 1000);

    public int? AbortsOverride { get; private init; }

    public int HopAborts => Quick ? 100 : 1000;

    public int LoadAborts => Quick ? 150 : 1000;

    public int StormRequests => Quick ? 2000 : 10_000;

    public int Uploads => Quick ? 8 : 50;

    public TimeSpan SoakDuration => TimeSpan.FromSeconds(Quick ? 3 : 10);

    public TimeSpan LoadDuration => TimeSpan.FromSeconds(Quick ? 2 : 5);

    public int OverheadRounds => Quick ? 1 : 5;

    public bool Runs(string scenario) => Only.Count == 0 || Only.Contains(scenario);

    public static bool TryParse(string[] args, string defaultOutput, out BenchSettings? settings, out string? error)
    {
        var quick = false;
        var output = defaultOutput;
        var only = new HashSet<string>(StringComparer.Ordinal);
        int? aborts = null;
        settings = null;
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--output" when i + 1 < args.Length:
                    output = Path.GetFullPath(args[++i]);
                    break;
                case "--only" when i + 1 < args.Length:
                    foreach (var name in args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!ScenarioNames.Contains(name))
                        {
                            error = string.Create(CultureInfo.InvariantCulture, $"unknown scenario '{name}'");
                            return false;
                        }

                        only.Add(name);
                    }

                    break;
                case "--aborts" when i + 1 < args.Length:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1 || count > 1_000_000)
                    {
                        error = "--aborts takes a whole number from 1 to 1000000";
                        return false;
                    }

                    aborts = count;
                    break;
                default:
                    error = $"unknown or incomplete argument '{args[i]}'";
                    return false;
            }
        }

        settings = new BenchSettings(quick, output, only) { AbortsOverride = aborts };
        return true;
    }
}
