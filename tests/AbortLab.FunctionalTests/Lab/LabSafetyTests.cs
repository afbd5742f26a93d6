using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AbortLab.Testing;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Lab;

/// <summary>The lab's own edges: an unusable database, cross-site admin requests, and failures without a body.</summary>
public sealed class LabSafetyTests(LabFixture lab, ITestOutputHelper output) : IClassFixture<LabFixture>
{
    [Fact]
    public async Task ACorruptDatabase_StopsTheLabAtStartUp_WithExitCode2_AndSaysWhichFile()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("abortlab-corrupt-").FullName;
        try
        {
            var database = Path.Combine(dataDirectory, "abortlab-lab.db");
            await File.WriteAllTextAsync(database, "this is not a SQLite database, whatever its name says");
            var messages = new List<string>();
            var startInfo = new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "AbortLab.Lab.dll"), "--Lab:Edge:HttpPort=0", "--Lab:Edge:HttpsPort=0", "--Lab:App:Port=0", "--Lab:Backend:Port=0", $"--Lab:DataDirectory={dataDirectory}"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            using var process = System.Diagnostics.Process.Start(startInfo)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine(await stdout);
            output.WriteLine(await stderr);

            Assert.Equal(2, process.ExitCode);
            Assert.Contains(database, await stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", await stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("is running", await stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task TheAdminRestart_RefusesACrossSiteForm_AndAScriptFromAnotherOrigin()
    {
        using var http = new HttpClient { BaseAddress = lab.Topology.EdgeHttp };

        using var form = await http.PostAsync("/lab-admin/restart-app", new FormUrlEncodedContent([]));
        using var foreign = new HttpRequestMessage(HttpMethod.Post, "/lab-admin/restart-app") { Headers = { { "X-AbortLab-Admin", "restart" }, { "Origin", "https://attacker.example" } } };
        using var fromElsewhere = await http.SendAsync(foreign);

        foreach (var response in new[] { form, fromElsewhere })
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

    }

    [Theory]
    [InlineData("127.0.0.1.nip.io")]
    [InlineData("localhost.attacker.example")]
    [InlineData("abortlab.internal")]
    public async Task TheAdminRestart_RefusesARebindingHost_EvenFromItsOwnOrigin(string host)
    {
        using var http = new HttpClient { BaseAddress = lab.Topology.EdgeHttp };
        var authority = $"{host}:{lab.Topology.EdgeHttp.Port}";
        var restartsBefore = lab.Topology.AppRestarts;

        // What a page on the rebinding name sends: same-origin with itself, so the header needs no preflight.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/lab-admin/restart-app");
        request.Headers.Host = authority;
        request.Headers.Add("X-AbortLab-Admin", "restart");
        request.Headers.Add("Origin", $"http://{authority}");
        using var response = await http.SendAsync(request);

        // Refused before anything runs (host filtering, 400); the admin filter's own Host check stands behind it (403).
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.Forbidden });
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(restartsBefore, lab.Topology.AppRestarts);
    }

    [Fact]
    public async Task TheAdminRestart_RefusesARequestThatCameThroughAProxy()
    {
        using var http = new HttpClient { BaseAddress = lab.Topology.EdgeHttp };
        var restartsBefore = lab.Topology.AppRestarts;

        using var request = new HttpRequestMessage(HttpMethod.Post, "/lab-admin/restart-app") { Headers = { { "X-AbortLab-Admin", "restart" }, { "X-Forwarded-For", "203.0.113.9" } } };
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(restartsBefore, lab.Topology.AppRestarts);
    }

    [Theory]
    [InlineData("/lab/order/count", "POST")]
    [InlineData("/lab/nowhere", "GET")]
    [InlineData("/lab/slow?ms=abc", "GET")]
    [InlineData("/lab/order?commitDelayMs=-5", "POST")]
    public async Task AFailureOrAMiss_AnswersProblemDetails_NeverAnEmptyBody(string path, string method)
    {
        using var http = new HttpClient { BaseAddress = lab.Topology.EdgeHttp };

        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? JsonContent.Create(new { item = "x" }) : null });

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("status", out _));
    }
}
