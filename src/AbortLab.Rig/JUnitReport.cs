using System.Globalization;
using System.Xml.Linq;

namespace AbortLab.Rig;

/// <summary>
/// The results as JUnit XML (the Ant schema that Jenkins, GitLab, GitHub and Azure DevOps read): one test case per
/// cell, a failure element naming what did not hold, the verdict in system-out.
/// </summary>
internal static class JUnitReport
{
    public static XDocument Build(Uri target, IReadOnlyList<CellResult> results, DateTimeOffset startedAt)
    {
        var failures = results.Count(r => !r.Verdict.Passed);
        var suite = new XElement(
            "testsuite",
            new XAttribute("name", "abortlab-rig"),
            new XAttribute("tests", results.Count),
            new XAttribute("failures", failures),
            new XAttribute("errors", 0),
            new XAttribute("skipped", 0),
            new XAttribute("time", Seconds(results.Aggregate(TimeSpan.Zero, (sum, r) => sum + r.Duration))),
            new XAttribute("timestamp", startedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)),
            new XAttribute("hostname", target.Authority),
            new XElement("properties", new XElement("property", new XAttribute("name", "url"), new XAttribute("value", target.ToString()))));
        foreach (var result in results)
        {
            var testCase = new XElement(
                "testcase",
                new XAttribute("classname", $"abortlab-rig.{result.Cell.Request.Kind}"),
                new XAttribute("name", result.Cell.Name),
                new XAttribute("time", Seconds(result.Duration)));
            if (!result.Verdict.Passed)
            {
                testCase.Add(new XElement(
                    "failure",
                    new XAttribute("message", result.Verdict.Failures[0]),
                    new XAttribute("type", "AbortVerdict"),
                    string.Join("\n", result.Verdict.Failures)));
            }

            testCase.Add(new XElement("system-out", result.Verdict.ToString()));
            suite.Add(testCase);
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("testsuites", new XAttribute("name", "abortlab-rig"), new XAttribute("tests", results.Count), new XAttribute("failures", failures), suite));
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
