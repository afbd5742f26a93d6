using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AbortLab.Testing;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Lab;

public sealed class LabOrderTests(LabFixture lab, ITestOutputHelper output) : IClassFixture<LabFixture>
{
    [Fact]
    public async Task Order_RetriedWithTheSameKey_RunsOnce_AndCountsIt()
    {
        using var http = new HttpClient { BaseAddress = lab.Topology.EdgeHttp };
        var before = await CountAsync(http);

        using var first = await OrderAsync(http, "lab-order-1");
        using var retry = await OrderAsync(http, "lab-order-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal(before + 1, await CountAsync(http));
    }

    [Fact]
    public async Task GracefulRestartOfTheAppHop_ReportsItself_AndTheAppServesAgain()
    {
        using var http = new HttpClient { BaseAddress = lab.Topology.EdgeHttp };

        using var restart = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/lab-admin/restart-app") { Headers = { { "X-AbortLab-Admin", "restart" } } });
        var report = await restart.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, restart.StatusCode);
        Assert.Equal("app", report.GetProperty("hop").GetString());
        Assert.Equal(0, report.GetProperty("zombiesLeft").GetInt32());
        var shutdown = await http.GetFromJsonAsync<JsonElement>("/abortlab/api/shutdown");
        Assert.Equal("app", shutdown.GetProperty("hop").GetString());
        await CountAsync(http);
    }

    [Fact]
    public async Task TwoProcessesSharingOneSqliteFile_RunEachKeyedOrderOnce()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("abortlab-two-labs-").FullName;
        try
        {
            using var first = StartLab(dataDirectory);
            using var second = StartLab(dataDirectory);
            var apps = new[]
            {
                new HttpClient { BaseAddress = await LabProcess.AppAddressAsync(first) },
                new HttpClient { BaseAddress = await LabProcess.AppAddressAsync(second) },
            };

            const int Keys = 20;
            var responses = await Task.WhenAll(Enumerable.Range(0, Keys).SelectMany(i => apps.Select(app => OrderAsync(app, $"shared-{i}"))));

            Assert.Equal(Keys, await CountAsync(apps[0]));
            Assert.Equal(Keys, await CountAsync(apps[1]));
            foreach (var pair in responses.Chunk(2))
            {
                Assert.All(pair, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }));
                Assert.Contains(pair, r => r.StatusCode == HttpStatusCode.Created && !r.Headers.Contains("Idempotency-Replayed"));
            }

            output.WriteLine(string.Join(", ", responses.Select(r => $"{(int)r.StatusCode}{(r.Headers.Contains("Idempotency-Replayed") ? "r" : string.Empty)}")));
            foreach (var response in responses)
            {
                response.Dispose();
            }

            foreach (var app in apps)
            {
                app.Dispose();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private ChildProcess StartLab(string dataDirectory) => LabProcess.Start(output, $"--Lab:DataDirectory={dataDirectory}");

    private static Task<HttpResponseMessage> OrderAsync(HttpClient http, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/lab/order") { Content = JsonContent.Create(new { item = "test" }) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", $"\"{key}\"");
        return http.SendAsync(request);
    }

    private static async Task<long> CountAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("/lab/order/count")).GetProperty("count").GetInt64();
}
