using System.Xml.Linq;
using AbortLab.Playwright;
using AbortLab.Rig;
using Xunit.Abstractions;

namespace AbortLab.BrowserTests.Tool;

/// <summary>
/// <c>abortlab-rig</c> run against the lab as another team's CI would: the lab's matrix file, JUnit XML and an HTML
/// report out, and an exit code that says whether every cell passed.
/// </summary>
[Collection(BrowserLabCollection.Name)]
public sealed class RigToolTests(BrowserLabFixture lab, ITestOutputHelper output)
{
    private static string MatrixPath => Path.Combine(RepositoryPaths.Root, "src", "AbortLab.Lab", "abort-matrix.json");

    [Fact]
    public void LabMatrixFile_HoldsTheCellsOfTheBrowserMatrix()
    {
        var fromFile = MatrixFile.Load(MatrixPath).Select(c => (c.Request.Kind, c.Request.Path)).ToList();
        var fromTests = AbortMatrix.Kinds.SelectMany(k => k.Scenarios.Select(s => (k.Kind, AbortMatrix.Scenarios[s]))).ToList();

        Assert.Equal(fromTests, fromFile);
    }

    [Fact]
    public async Task Tool_RunsTheLabMatrix_AndWritesJUnitAndHtml()
    {
        var directory = Directory.CreateTempSubdirectory("abortlab-rig-tool-").FullName;
        try
        {
            var junit = Path.Combine(directory, "rig.junit.xml");
            var html = Path.Combine(directory, "rig.html");
            var console = new StringWriter();

            var exitCode = await RigCommand.RunAsync(
                ["--url", lab.Lab.App.ToString(), "--matrix", MatrixPath, "--junit", junit, "--html", html, "--ignore-https-errors"],
                console,
                console,
                CancellationToken.None);
            output.WriteLine(console.ToString());

            Assert.Equal(RigCommand.Passed, exitCode);
            var suite = XDocument.Load(junit).Root!.Element("testsuite")!;
            Assert.Equal(MatrixFile.Load(MatrixPath).Count, (int)suite.Attribute("tests")!);
            Assert.Equal(0, (int)suite.Attribute("failures")!);
            Assert.All(suite.Elements("testcase"), c => Assert.Null(c.Element("failure")));
            var report = await File.ReadAllTextAsync(html);
            Assert.Contains("cells passed</h1>", report, StringComparison.Ordinal);
            Assert.Contains("class=\"bar work", report, StringComparison.Ordinal);
            Assert.DoesNotContain("<script", report, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Tool_FailingCell_ExitsOne_WithTheFailureInJUnit()
    {
        var directory = Directory.CreateTempSubdirectory("abortlab-rig-tool-").FullName;
        try
        {
            var junit = Path.Combine(directory, "rig.junit.xml");
            var console = new StringWriter();

            var exitCode = await RigCommand.RunAsync(
                ["--url", lab.Lab.App.ToString(), "--kind", nameof(AbortKind.FetchBeforeResponse), "--path", "/lab/ignore?ms=4000", "--junit", junit, "--html", Path.Combine(directory, "rig.html")],
                console,
                console,
                CancellationToken.None);
            output.WriteLine(console.ToString());

            Assert.Equal(RigCommand.CellsFailed, exitCode);
            var failure = XDocument.Load(junit).Descendants("failure").Single();
            Assert.Contains("nothing asked for the request's token", failure.Value, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(new string[0], "--url is required.")]
    [InlineData(new[] { "--url", "ftp://x/", "--kind", "PageClose", "--path", "/" }, "--url takes an absolute http or https address")]
    [InlineData(new[] { "--url", "http://127.0.0.1:1/", "--kind", "Nope", "--path", "/" }, "'Nope' is not an abort kind")]
    [InlineData(new[] { "--url", "http://127.0.0.1:1/", "--kind", "EventSourceClose", "--path", "/", "--hops", "a" }, null)]
    [InlineData(new[] { "--url", "http://127.0.0.1:1/", "--matrix", "/nonexistent.json" }, "cannot read the matrix")]
    [InlineData(new[] { "--url", "http://127.0.0.1:1/", "--bogus" }, "unknown option '--bogus'")]
    public async Task Tool_WrongCommandLine_ExitsTwo_SayingWhat(string[] args, string? expected)
    {
        if (expected is null)
        {
            // A valid command line: checked by parsing only, since nothing listens there.
            Assert.NotNull(RigArguments.Parse(args).SingleCell);
            return;
        }

        var console = new StringWriter();
        var exitCode = await RigCommand.RunAsync(args, console, console, CancellationToken.None);

        Assert.Equal(RigCommand.UsageError, exitCode);
        Assert.Contains(expected, console.ToString(), StringComparison.Ordinal);
    }
}
