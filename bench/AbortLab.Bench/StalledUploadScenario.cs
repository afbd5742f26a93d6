namespace AbortLab.Bench;

/// <summary>
/// Scenario 6: a 20 MB upload the app is not reading, abandoned after 4 MB. Bare Kestrel stops reading once about
/// 1 MB is buffered and cannot see the client leave; AbortLab's upload watch can.
/// </summary>
internal static class StalledUploadScenario
{
    private const int Declared = 20 * 1024 * 1024;
    private const int Sent = 4 * 1024 * 1024;

    public static async Task<ScenarioReport> RunAsync(BenchSettings settings, Dictionary<string, LatencyStats> results)
    {
        var report = new ScenarioReport("upload", "6. Stalled upload", $"POST of a declared 20 MB body to an endpoint that never reads it; the client sends 4 MB (or as much as the socket takes in 1 s), then leaves. Latency from the client leaving to the server's token; {settings.Uploads} uploads per row; 'missed' means not within {DetectionScenario.Timeout.TotalSeconds:0} s.");
        var recorder = new FireRecorder();
        var body = new byte[Sent];
        foreach (var variant in new[] { ServerVariant.Bare, ServerVariant.AbortLab })
        {
            await using var server = await KestrelServer.StartAsync(variant, recorder);
            foreach (var reset in new[] { false, true })
            {
                var samples = new List<double?>();
                var notReached = 0;
                var endedByServer = 0;
                // Bare Kestrel misses every one (3 s each): a few samples show it.
                DetectionScenario.MissedIds.Clear();
                var count = variant == ServerVariant.Bare ? Math.Min(settings.Uploads, settings.Quick ? 2 : 5) : settings.Uploads;
                for (var i = 0; i < count; i++)
                {
                    var id = Ids.Next();
                    using var client = await RawAbortClient.ConnectAsync(server.Port, CancellationToken.None);
                    await client.SendAsync($"POST /upload/{id} HTTP/1.1\r\nHost: bench\r\nContent-Length: {Declared}\r\n\r\n", CancellationToken.None);
                    using (var sending = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
                    {
                        try
                        {
                            await client.SendAsync(body, sending.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            // The server stopped reading: leave with what was sent.
                        }
                        catch (System.Net.Sockets.SocketException)
                        {
                            // The server ended the connection while the body was still coming (its read-ahead limit,
                            // or the watch's own abort): the client did not leave, so there is nothing to time.
                            endedByServer++;
                            continue;
                        }
                    }

                    // The client leaves only once the request reached the endpoint: an RST that beats it would discard a
                    // request the server never saw, which is no missed detection.
                    if (!await recorder.WaitStartedAsync(id, DetectionScenario.Timeout))
                    {
                        notReached++;
                        continue;
                    }

                    var left = client.Leave(reset);
                    var fired = await recorder.WaitAsync(id, DetectionScenario.Timeout);
                    samples.Add(fired is { } at ? Clock.Ms(left, at) : null);
                    if (fired is null)
                    {
                        DetectionScenario.MissedIds.Enqueue(id);
                    }
                }

                var stats = LatencyStats.From(samples);
                var label = $"{(variant == ServerVariant.Bare ? "Kestrel (bare)" : "Kestrel + AbortLab")}, {(reset ? "RST" : "FIN")}";
                results[$"upload {label}"] = stats;
                if (endedByServer > 0)
                {
                    report.Notes.Add($"{label}: the server ended {endedByServer} upload(s) before the client left (reset while sending); not counted.");
                }

                if (notReached > 0)
                {
                    report.Notes.Add($"{label}: {notReached} upload(s) never reached the endpoint within {DetectionScenario.Timeout.TotalSeconds:0} s and were not counted.");
                }

                report.Add(label).Latency(stats);
                if (variant == ServerVariant.AbortLab)
                {
                    DetectionScenario.ExplainMisses(report, server, "/upload/");
                }
            }
        }

        return report;
    }
}
