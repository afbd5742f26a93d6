using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AbortLab.Bench;

/// <summary>
/// A closed-loop HTTP load generator that runs in a child process (<c>AbortLab.Bench loadgen ...</c>), so the
/// server's allocations and CPU are not mixed with the client's. With <c>--rate</c> it paces itself to that many
/// requests per second; with <c>--follow</c> it only reads an SSE stream for the duration.
/// </summary>
internal static class LoadGenerator
{
    public sealed record Result(long Requests, long Errors, double Seconds)
    {
        public double RequestsPerSecond => Seconds > 0 ? Requests / Seconds : 0;
    }

    /// <summary>The child's side: <c>loadgen URL SECONDS CONNECTIONS [RATE]</c> or <c>follow URL SECONDS</c>.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        var url = new Uri(args[1]);
        var seconds = double.Parse(args[2], CultureInfo.InvariantCulture);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1024, UseProxy = false };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        if (args[0] == "follow")
        {
            try
            {
                await using var stream = await client.GetStreamAsync(url, stop.Token);
                var buffer = new byte[16 * 1024];
                while (await stream.ReadAsync(buffer, stop.Token) > 0)
                {
                }
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        }

        var connections = int.Parse(args[3], CultureInfo.InvariantCulture);
        var rate = args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 0;
        long requests = 0, errors = 0;
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, connections).Select(async worker =>
        {
            var interval = rate > 0 ? connections / rate : 0;
            var due = Stopwatch.GetTimestamp();
            while (!stop.IsCancellationRequested)
            {
                if (interval > 0)
                {
                    due += (long)(interval * Stopwatch.Frequency);
                    var wait = Clock.Ms(Stopwatch.GetTimestamp(), due);
                    if (wait > 1)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(wait));
                    }
                }

                try
                {
                    using var response = await client.GetAsync(url, stop.Token);
                    await response.Content.CopyToAsync(Stream.Null, stop.Token);
                    Interlocked.Increment(ref requests);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }).ToArray();
        await Task.WhenAll(workers);
        var elapsed = Clock.Ms(started, Stopwatch.GetTimestamp()) / 1000;
        Console.WriteLine(JsonSerializer.Serialize(new Result(requests, errors, elapsed)));
        return 0;
    }

    /// <summary>Runs the load generator as a child process and returns what it measured.</summary>
    public static async Task<Result> RunAsync(Uri url, TimeSpan duration, int connections, double rate = 0)
    {
        var output = await RunSelfAsync(["loadgen", url.ToString(), duration.TotalSeconds.ToString(CultureInfo.InvariantCulture), connections.ToString(CultureInfo.InvariantCulture), rate.ToString(CultureInfo.InvariantCulture)]);
        return JsonSerializer.Deserialize<Result>(output.Trim().Split('\n')[^1])!;
    }

    /// <summary>Follows an SSE stream from a child process for the duration (the dashboard, open).</summary>
    public static Task FollowAsync(Uri url, TimeSpan duration) =>
        RunSelfAsync(["follow", url.ToString(), duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)]);

    private static async Task<string> RunSelfAsync(string[] arguments)
    {
        var self = Environment.ProcessPath!;
        var start = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? new ProcessStartInfo(self, [typeof(LoadGenerator).Assembly.Location, .. arguments])
            : new ProcessStartInfo(self, arguments);
        start.RedirectStandardOutput = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"load generator exited {process.ExitCode}: {output}");
    }
}
