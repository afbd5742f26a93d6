using System.Diagnostics;
using System.Text.Json;
using AbortLab.IO;
using AbortLab.Testing;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Lab.Outside;

/// <summary>
/// A storm of requests to every lab scenario, direct and through the edge, each left at a random moment with a FIN or
/// an RST, as a flaky network and impatient users would: afterwards nothing logs an Error, nothing is a zombie, no
/// order is made twice, and no request, socket or child process is left behind.
/// </summary>
public sealed class LabStormFromOutsideTests(ITestOutputHelper output)
{
    // ABORTLAB_STORM_REQUESTS raises it for a campaign (the issue's storms were 2 000).
    private static readonly int Requests = int.TryParse(Environment.GetEnvironmentVariable("ABORTLAB_STORM_REQUESTS"), out var requests) ? requests : 600;
    private static readonly int Concurrency = int.TryParse(Environment.GetEnvironmentVariable("ABORTLAB_STORM_CONCURRENCY"), out var concurrency) ? concurrency : 16;
    private static readonly TimeSpan StormLimit = TimeSpan.FromSeconds(90);

    // Every scenario but /lab/ignore, which is a zombie on purpose.
    // ABORTLAB_STORM_SCENARIOS (comma-separated) narrows a campaign to some of them.
    private static readonly string[] Scenarios = Environment.GetEnvironmentVariable("ABORTLAB_STORM_SCENARIOS")?.Split(',') ??
        ["slow", "stream", "sse", "ws", "cpu", "upload", "upload-unread", "downstream", "process", "db", "db-ef", "order"];

    [Fact]
    public async Task RandomAbortStorm_AcrossEveryScenario_LeavesNoErrorNoZombieNoDoubleAndNothingBehind()
    {
        await using var lab = await OutsideLab.StartAsync(output);
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var plan = Enumerable.Range(0, Requests)
            .Select(i => (Scenario: Scenarios[i % Scenarios.Length], ThroughEdge: random.Next(2) == 0, LeaveAfterMs: random.Next(0, 400), Reset: random.Next(2) == 0, Key: $"storm-{seed}-{i}"))
            .ToList();

        // A server in production is warm: one request to each scenario on each hop first, so that the storm does not
        // judge the first JIT and thread-pool growth (seen at 48 clients: a cold /lab/stream began its work 2 s late).
        using (var warm = new HttpClient { Timeout = TimeSpan.FromSeconds(60) })
        {
            foreach (var hop in new[] { lab.Edge, lab.App })
            {
                foreach (var path in new[] { "slow", "stream", "cpu", "downstream", "process", "db", "db-ef" })
                {
                    using var response = await warm.GetAsync(new Uri(hop, $"/lab/{path}?ms=1"));
                    Assert.True(response.IsSuccessStatusCode, $"warm-up {path}: {(int)response.StatusCode}");
                }

                using var upload = await warm.PostAsync(new Uri(hop, "/lab/upload"), new ByteArrayContent(new byte[1024]));
                Assert.True(upload.IsSuccessStatusCode, $"warm-up upload: {(int)upload.StatusCode}");
                using var order = new HttpRequestMessage(HttpMethod.Post, new Uri(hop, "/lab/order")) { Content = new StringContent("{\"item\":\"warm\"}", System.Text.Encoding.UTF8, "application/json") };
                order.Headers.Add("Idempotency-Key", $"warm-{Guid.NewGuid():N}");
                using var ordered = await warm.SendAsync(order);
                Assert.True(ordered.IsSuccessStatusCode, $"warm-up order: {(int)ordered.StatusCode}");
            }
        }

        var started = Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(StormLimit);
        var next = -1;
        var failures = new List<string>();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < plan.Count && !deadline.IsCancellationRequested)
            {
                var step = plan[i];
                try
                {
                    await FireAsync(step.ThroughEdge ? lab.Edge.Port : lab.App.Port, step.Scenario, step.Key, step.LeaveAfterMs, step.Reset, deadline.Token);
                }
                catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException)
                {
                    // Refused or reset by the server before the client left: part of a storm, nothing to judge here.
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    lock (failures)
                    {
                        failures.Add($"{step.Scenario}: the storm passed its time limit");
                    }
                }
            }
        }));
        output.WriteLine($"{Math.Min(next, plan.Count)} requests fired and left in {started.Elapsed.TotalSeconds:0.0} s");
        Assert.Empty(failures);

        // Settled: every hop has no request in flight, no socket of the lab waits in CLOSE_WAIT, the edge holds no
        // client connection, and no process the lab started is still running.
        var ports = new[] { lab.Edge.Port, lab.App.Port, lab.Backend.Port };
        using var http = new HttpClient { BaseAddress = lab.Edge };
        string state = string.Empty;
        var settled = Stopwatch.StartNew();
        while (true)
        {
            var active = new List<int>();
            foreach (var hop in new[] { lab.Edge, lab.App, lab.Backend })
            {
                using var process = JsonDocument.Parse(await http.GetStringAsync(new Uri(hop, "/abortlab/api/process")));
                active.Add(process.RootElement.GetProperty("activeRequests").GetInt32());
            }

            var sockets = SocketTable.ReadAllSockets().Where(s => ports.Contains(s.LocalPort)).ToList();
            var closeWait = sockets.Count(s => s.State == "closeWait");
            var edgeClients = sockets.Count(s => s.LocalPort == lab.Edge.Port && s.State == "established") - 1;
            var children = Children(lab.ProcessId);
            state = $"active requests edge/app/backend {string.Join('/', active)}, CLOSE_WAIT {closeWait}, edge client connections {edgeClients}, child processes {children.Count} {string.Join(' ', children)}";
            if (active.All(a => a == 0) && closeWait == 0 && edgeClients <= 0 && children.Count == 0)
            {
                break;
            }

            Assert.True(settled.Elapsed < TimeSpan.FromSeconds(30), $"not settled 30 s after the storm: {state}");
            await Task.Delay(100);
        }

        output.WriteLine($"settled in {settled.Elapsed.TotalSeconds:0.0} s: {state}");
        var rows = await LabOrders.RowsPerKeyAsync(lab.OpenDatabase());
        output.WriteLine($"orders made: {rows.Count} keys, {rows.Values.Sum()} rows");
        Assert.All(rows, row => Assert.True(row.Value == 1, $"{row.Key} made {row.Value} orders"));

        // A zombie's own timeline says how late its work stopped, and where.
        foreach (var id in lab.ZombieEntries().Select(entry => System.Text.RegularExpressions.Regex.Match(entry, @"Request (\d+) to").Groups[1].Value).Distinct())
        {
            using var zombie = await http.GetAsync($"/abortlab/api/requests/{id}");
            output.WriteLine($"zombie {id}: {await zombie.Content.ReadAsStringAsync()}");
        }

        Assert.Empty(lab.ZombieEntries());
        Assert.Empty(lab.ErrorEntries());
    }

    private static async Task FireAsync(int port, string scenario, string key, int leaveAfterMs, bool reset, CancellationToken cancellationToken)
    {
        using var client = await RawHttpConnection.ConnectAsync(port);
        var tag = $"abortlab-tag={key}";
        switch (scenario)
        {
            case "upload" or "upload-unread":
                var readDelay = scenario == "upload" ? 0 : -1;
                await client.SendAsync($"POST /lab/upload?readDelayMs={readDelay}&{tag} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4194304\r\n\r\n");
                await client.SendAsync(new byte[256 * 1024]).WaitAsync(cancellationToken);
                break;
            case "order":
                const string body = "{\"item\":\"storm\"}";
                await client.SendAsync($"POST /lab/order?commitDelayMs=200&{tag} HTTP/1.1\r\nHost: 127.0.0.1\r\nIdempotency-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}");
                break;
            case "ws":
                await client.SendAsync($"GET /lab/ws?{tag} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
                break;
            default:
                await client.SendAsync($"GET /lab/{scenario}?ms=3000&{tag} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                break;
        }

        await Task.Delay(leaveAfterMs, cancellationToken); // intentional: the moment this client leaves is the storm's random input
        client.End(reset ? ConnectionEnd.Rst : ConnectionEnd.Fin);
    }

    private static List<string> Children(int pid)
    {
        var found = new List<string>();
        var pending = new Queue<int>([pid]);
        while (pending.TryDequeue(out var parent))
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{parent}/task"))
            {
                string text;
                try
                {
                    text = File.ReadAllText(Path.Combine(task, "children"));
                }
                catch (IOException)
                {
                    continue;
                }

                foreach (var child in text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse))
                {
                    found.Add($"{child}:{ReadName(child)}");
                    pending.Enqueue(child);
                }
            }
        }

        return found;
    }

    private static string ReadName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
