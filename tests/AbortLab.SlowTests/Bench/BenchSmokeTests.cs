using System.Text.Json;
using AbortLab.Testing;
using Xunit.Abstractions;

namespace AbortLab.SlowTests.Bench;

/// <summary>
/// The benchmark's quick mode, run as a user would (<c>dotnet run -c Release --project bench/AbortLab.Bench -- --quick</c>):
/// it must finish and write its report. No threshold is asserted here: speed targets live in the report.
/// </summary>
[Collection(ReleaseBuildCollection.Name)]
public sealed class BenchSmokeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _results = Directory.CreateTempSubdirectory("abortlab-bench-smoke-").FullName;

    [Fact]
    public async Task QuickRun_WritesTheReportWithEveryScenario()
    {
        var repository = RepositoryRoot.Find();
        using (var run = ChildProcess.Start("dotnet", ["run", "-c", "Release", "--project", Path.Combine(repository, "bench", "AbortLab.Bench"), "--", "--quick", "--output", _results], repository, output))
        {
            await run.RunToSuccessAsync(TimeSpan.FromMinutes(15));
        }

        var markdown = await File.ReadAllTextAsync(Path.Combine(_results, "latest-quick.md"));
        foreach (var section in new[] { "## Targets", "## 1. Detection latency", "## 2. Through a hop", "## 3. Detection under load", "## 4. Overhead", "## 4b. Per-request cost", "## 5. Abort storm", "## 6. Stalled upload", "## 8. Slow dashboard subscribers", "## 9. Live clients are never aborted", "## 10. Memory with full rings", "## 11. Database queries stopped", "## 12. EF Core queries aborted from Chromium through the edge" })
        {
            Assert.Contains(section, markdown, StringComparison.Ordinal);
        }

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_results, "latest-quick.json")));
        Assert.Equal(12, json.RootElement.GetProperty("scenarios").GetArrayLength());
        Assert.Equal(13, json.RootElement.GetProperty("targets").GetArrayLength());
        Assert.Single(Directory.GetFiles(_results, "report-*-quick.md"));
    }

    public void Dispose() => Directory.Delete(_results, recursive: true);
}
