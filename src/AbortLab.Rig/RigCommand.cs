using System.Diagnostics;
using System.Globalization;
using AbortLab.Playwright;

namespace AbortLab.Rig;

/// <summary>
/// <c>abortlab-rig --url URL --matrix FILE</c>: fires every cell of the matrix at the app in real Chromium, one at a
/// time, and writes JUnit XML and an HTML report. Exit code 0 when every cell passed, 1 when one failed, 2 when the
/// command line or the matrix is wrong, 3 when no browser was found.
/// </summary>
internal static class RigCommand
{
    public const int Passed = 0;
    public const int CellsFailed = 1;
    public const int UsageError = 2;
    public const int NoBrowser = 3;

    public static readonly string Usage = """
        usage: abortlab-rig --url URL (--matrix FILE | --kind KIND --path PATH) [options]

          --url URL                the app's address (the browser's origin; paths are relative to it)
          --matrix FILE            the cells, as JSON: {"cells": [{"kinds": ["FetchBeforeResponse"], "paths": ["/slow"]}]}
          --kind KIND --path PATH  one kind at one path instead of a matrix (--kind may repeat)
          --hops A,B               the hops that must record each request, in order (default: whatever recorded it)
          --diagnostics URL        another host whose AbortLab diagnostics API to read (repeatable; the first is --url)
          --prefix PATH            where the app mapped AbortLab (default /abortlab)
          --junit FILE             JUnit XML report (default abortlab-rig.junit.xml)
          --html FILE              HTML report with each cell's waterfall (default abortlab-rig.html)
          --artifacts DIR          keep a trace and a screenshot of each failed cell here
          --deadline SECONDS       how long the server has to record each abort (default 15)
          --chromium PATH          the Chromium executable (default: Playwright's, $ABORTLAB_CHROMIUM, /usr/bin/chromium)
          --ignore-https-errors    accept any TLS certificate (a self-signed development one)

        exit codes: 0 every cell passed, 1 a cell failed, 2 usage or matrix error, 3 no browser
        kinds:
        """ + " " + string.Join(", ", Enum.GetNames<AbortKind>());

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        RigArguments arguments;
        IReadOnlyList<MatrixCell> cells;
        try
        {
            arguments = RigArguments.Parse(args);
            if (arguments.Help)
            {
                await output.WriteLineAsync(Usage);
                return Passed;
            }

            cells = arguments.MatrixPath is { } matrix ? MatrixFile.Load(matrix) : [.. MatrixFile.Expand(arguments.SingleCell!, "--kind/--path")];
            arguments.Options.Validate();
        }
        catch (Exception exception) when (exception is RigUsageException or ArgumentException)
        {
            await error.WriteLineAsync($"abortlab-rig: {exception.Message}");
            await error.WriteLineAsync("run abortlab-rig --help for the options.");
            return UsageError;
        }

        AbortRig rig;
        try
        {
            rig = await AbortRig.LaunchAsync(arguments.Options);
        }
        catch (BrowserNotFoundException exception)
        {
            await error.WriteLineAsync($"abortlab-rig: {exception.Message}");
            return NoBrowser;
        }

        var startedAt = TimeProvider.System.GetUtcNow();
        var results = new List<CellResult>(cells.Count);
        await using (rig)
        {
            await output.WriteLineAsync($"abortlab-rig: {cells.Count} cells against {arguments.Options.BaseAddress} in Chromium {rig.BrowserVersion}");
            foreach (var cell in cells)
            {
                var watch = Stopwatch.StartNew();
                var verdict = await rig.FireAsync(cell.Request, cancellationToken);
                results.Add(new CellResult(cell, verdict, watch.Elapsed));
                await output.WriteLineAsync($"{(verdict.Passed ? "PASS" : "FAIL")} {cell.Name} ({watch.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)");
                foreach (var failure in verdict.Failures)
                {
                    await output.WriteLineAsync($"     - {failure}");
                }
            }

            // Side effects that land seconds after an abort fail the cell that caused them.
            foreach (var verdict in await rig.SweepAsync(cancellationToken))
            {
                var cell = results.First(r => ReferenceEquals(r.Verdict, verdict)).Cell;
                await output.WriteLineAsync($"FAIL {cell.Name} (late: once every cell had run)");
                foreach (var failure in verdict.Failures)
                {
                    await output.WriteLineAsync($"     - {failure}");
                }
            }
        }

        var target = arguments.Options.BaseAddress!;
        Write(arguments.JUnitPath, JUnitReport.Build(target, results, startedAt).ToString());
        Write(arguments.HtmlPath, HtmlReport.Build(target, results, startedAt));
        var failed = results.Count(r => !r.Verdict.Passed);
        await output.WriteLineAsync($"abortlab-rig: {results.Count - failed} passed, {failed} failed; {Path.GetFullPath(arguments.JUnitPath)}, {Path.GetFullPath(arguments.HtmlPath)}");
        return failed == 0 ? Passed : CellsFailed;
    }

    private static void Write(string path, string content)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, content);
    }
}
