using System.Globalization;
using AbortLab.Playwright;

namespace AbortLab.Rig;

/// <summary>The parsed command line of <c>abortlab-rig</c>.</summary>
internal sealed class RigArguments
{
    public AbortRigOptions Options { get; } = new();

    public string? MatrixPath { get; private set; }

    public MatrixFile.Entry? SingleCell { get; private set; }

    public string JUnitPath { get; private set; } = "abortlab-rig.junit.xml";

    public string HtmlPath { get; private set; } = "abortlab-rig.html";

    public bool Help { get; private set; }

    public static RigArguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new RigArguments();
        var kinds = new List<string>();
        string? path = null;
        IReadOnlyList<string>? hops = null;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw new RigUsageException($"{name} needs a value.");
            switch (name)
            {
                case "--help" or "-h":
                    parsed.Help = true;
                    return parsed;
                case "--url":
                    parsed.Options.BaseAddress = Address(name, Value());
                    break;
                case "--diagnostics":
                    parsed.Options.DiagnosticsAddresses.Add(Address(name, Value()));
                    break;
                case "--matrix":
                    parsed.MatrixPath = Value();
                    break;
                case "--kind":
                    kinds.Add(Value());
                    break;
                case "--path":
                    path = Value();
                    break;
                case "--hops":
                    hops = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--prefix":
                    parsed.Options.DiagnosticsPrefix = Value();
                    break;
                case "--junit":
                    parsed.JUnitPath = Value();
                    break;
                case "--html":
                    parsed.HtmlPath = Value();
                    break;
                case "--artifacts":
                    parsed.Options.ArtifactsDirectory = Value();
                    break;
                case "--chromium":
                    parsed.Options.ExecutablePath = Value();
                    break;
                case "--deadline":
                    var text = Value();
                    parsed.Options.Deadline = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= 600
                        ? TimeSpan.FromSeconds(seconds)
                        : throw new RigUsageException($"--deadline takes seconds from 0 to 600 (was '{text}').");
                    break;
                case "--ignore-https-errors":
                    parsed.Options.IgnoreHttpsErrors = true;
                    break;
                default:
                    throw new RigUsageException($"unknown option '{name}'.");
            }
        }

        if (parsed.Options.BaseAddress is null)
        {
            throw new RigUsageException("--url is required.");
        }

        if (parsed.Options.DiagnosticsAddresses.Count > 0)
        {
            parsed.Options.DiagnosticsAddresses.Insert(0, parsed.Options.BaseAddress);
        }

        if (parsed.MatrixPath is null == (kinds.Count == 0 && path is null))
        {
            throw new RigUsageException(parsed.MatrixPath is null ? "give --matrix FILE, or --kind and --path." : "give --matrix or --kind/--path, not both.");
        }

        if (parsed.MatrixPath is null)
        {
            parsed.SingleCell = new MatrixFile.Entry(Kinds: kinds, Path: path, Hops: hops);
        }
        else if (hops is not null)
        {
            throw new RigUsageException("--hops goes with --kind/--path; a matrix names its hops per cell.");
        }

        return parsed;
    }

    private static Uri Address(string name, string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var address) && (address.Scheme == Uri.UriSchemeHttp || address.Scheme == Uri.UriSchemeHttps)
            ? address
            : throw new RigUsageException($"{name} takes an absolute http or https address (was '{value}').");
}
