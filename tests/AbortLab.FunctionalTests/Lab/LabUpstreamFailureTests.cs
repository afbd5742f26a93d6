using System.Net;
using System.Text.Json;
using AbortLab.Lab;
using AbortLab.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Lab;

/// <summary>
/// The backend's connections reset in the middle of a scenario, through a real TCP hop between the app and the
/// backend: the app answers 502 problem details (an upstream failure), the edge passes that on, and no hop logs an
/// Error for it.
/// </summary>
public sealed class LabUpstreamFailureTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ABackendResetMidRequest_Answers502ProblemDetails_WithNoErrorLine(bool throughEdge)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("abortlab-upstream-").FullName;
        GatedTcpForwarder? hop = null;
        var logs = new FakeLogCollector(Microsoft.Extensions.Options.Options.Create(new FakeLogCollectorOptions()));
        var options = new LabOptions
        {
            Edge = new EdgeOptions { HttpPort = 0, HttpsPort = 0 },
            App = new HopOptions { Port = 0 },
            Backend = new HopOptions { Port = 0 },
            DataDirectory = dataDirectory,
        };
        var topology = await LabTopology.StartAsync(
            options,
            new ConfigurationBuilder().Build(),
            logging => logging.AddProvider(new FakeLoggerProvider(logs)),
            backend =>
            {
                hop = new GatedTcpForwarder(backend.Port);
                return new Uri($"http://127.0.0.1:{hop.Port}/");
            });
        try
        {
            var tag = $"reset-{Guid.NewGuid():N}";
            var backendStarted = topology.Store.WaitForTimelineAsync(t => t.Hop == "backend" && t.Tag == tag, KestrelTestHost.WaitTimeout);
            using var http = new HttpClient { BaseAddress = throughEdge ? topology.EdgeHttp : topology.App };
            var answer = http.GetAsync($"/lab/downstream?ms=60000&abortlab-tag={tag}");
            await backendStarted;

            // The backend is gone: its connection reset, and so is any new one (HttpClient retries a request whose
            // connection failed before any byte of the response came).
            hop!.RefuseNew = true;
            Assert.Equal(1, hop.ResetOpen());
            HttpResponseMessage response;
            try
            {
                response = await answer.WaitAsync(KestrelTestHost.WaitTimeout);
            }
            catch (TimeoutException)
            {
                output.WriteLine($"accepted {hop.Accepted}; {JsonSerializer.Serialize(topology.Store.GetRecent(new AbortLab.Timelines.TimelineQuery { Tag = tag, Limit = 10 }))}");
                throw;
            }
            var body = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{(int)response.StatusCode} {body}");

            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(502, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
            var app = await topology.Store.WaitForTimelineAsync(t => t.Hop == "app" && t.Tag == tag && t.StatusCode == 502, KestrelTestHost.WaitTimeout);
            Assert.Equal(502, app.StatusCode);
            if (throughEdge)
            {
                var edge = await topology.Store.WaitForTimelineAsync(t => t.Hop == "edge" && t.Tag == tag && t.StatusCode == 502, KestrelTestHost.WaitTimeout);
                Assert.Equal(502, edge.StatusCode);
            }

            var errors = logs.GetSnapshot().Where(r => r.Level >= LogLevel.Error).Select(r => $"{r.Category}: {r.Message}").ToList();
            Assert.True(errors.Count == 0, string.Join("\n", errors));
            Assert.Contains(logs.GetSnapshot(), r => r.Id.Name == "BackendFailed" && r.Level == LogLevel.Warning);
        }
        finally
        {
            await topology.DisposeAsync();
            if (hop is not null)
            {
                await hop.DisposeAsync();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
