using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace AbortLab.Bench;

/// <summary>wrk, when installed: the load client for the overhead scenario.</summary>
internal static partial class WrkClient
{
    public static async Task<LoadGenerator.Result> RunAsync(string wrk, Uri url, TimeSpan duration, int connections)
    {
        using var process = Process.Start(new ProcessStartInfo(wrk, ["-t1", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", url.ToString()]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var total = Total().Match(output);
        if (process.ExitCode != 0 || !total.Success)
        {
            throw new InvalidOperationException($"wrk failed ({process.ExitCode}): {output}");
        }

        var errors = Errors().Match(output);
        return new LoadGenerator.Result(
            long.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture),
            errors.Success ? errors.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture)) : 0,
            double.Parse(total.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"(\d+) requests in ([\d.]+)s")]
    private static partial Regex Total();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex Errors();
}
