using System.Diagnostics;
using AbortLab.Processes;
using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AbortLab.FunctionalTests.Adapters;

public sealed class AbortableProcessTests
{
    [Fact]
    public async Task AbortedRequest_KillsTheChildAndItsOwnChild()
    {
        var pids = new Signal<(int Child, int Grandchild)>();
        var started = new Signal<string>();
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapGet("/process", async (HttpContext context) =>
            {
                var scope = context.GetAbortScope();
                started.Set(scope.RequestId);
                var lines = new List<int>();

                // The shell prints its own pid, starts a grandchild, prints its pid, and waits forever.
                var startInfo = new ProcessStartInfo("/bin/sh", ["-c", "echo $$; sleep 300 & echo $!; wait"]);
                await scope.RunProcessAsync(startInfo, line =>
                {
                    lines.Add(int.Parse(line, System.Globalization.CultureInfo.InvariantCulture));
                    if (lines.Count == 2)
                    {
                        pids.Set((lines[0], lines[1]));
                    }
                });
            });
        });

        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("GET /process HTTP/1.1\r\nHost: test\r\n\r\n");
        var id = await started.WaitAsync();
        var (child, grandchild) = await pids.WaitAsync();
        using var childExit = ProcessExit.Watch(child);
        using var grandchildExit = ProcessExit.Watch(grandchild);
        Assert.NotNull(childExit);
        Assert.NotNull(grandchildExit);

        client.CloseWithFin();

        Assert.True(await childExit.WaitAsync(KestrelTestHost.WaitTimeout), "the child still runs");
        Assert.True(await grandchildExit.WaitAsync(KestrelTestHost.WaitTimeout), "the grandchild still runs");
        var timeline = await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null);
        Assert.Equal(WorkOutcome.Canceled, timeline.Work.Single().Outcome);
        Assert.Equal("process sh", timeline.Work.Single().Name);
        Assert.Equal(499, timeline.StatusCode);
    }

    [Fact]
    public async Task ProcessThatEnds_ReturnsItsExitCodeAndOutput()
    {
        using var cancellation = new CancellationTokenSource();
        var result = await AbortableProcess.RunAsync(new ProcessStartInfo("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"]), cancellation.Token);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("out\n", result.StandardOutput);
        Assert.Equal("err\n", result.StandardError);
        Assert.False(result.OutputTruncated);
    }

    [Fact]
    public async Task Output_IsCutAtTheLimit()
    {
        using var cancellation = new CancellationTokenSource();
        var result = await AbortableProcess.RunAsync(new ProcessStartInfo("/bin/sh", ["-c", "seq 1 10000"]), cancellation.Token, outputLimit: 100);

        Assert.True(result.OutputTruncated);
        Assert.Equal(100, result.StandardOutput.Length);
    }
}
