using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace AbortLab.Bench;

/// <summary>
/// A peer server in another process: Node's <c>http</c> (bench/peers/node-abort-server.js) or nginx with its
/// defaults. Either is skipped, with the reason, when its program is not installed.
/// </summary>
internal sealed class ExternalPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string? _directory;

    private ExternalPeer(Process process, int port, string? directory)
    {
        _process = process;
        Port = port;
        _directory = directory;
    }

    public int Port { get; }

    public static string? Find(string program)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Append("/usr/sbin"))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Starts the Node peer; each abort it sees comes back on stdout as "fired id nanoseconds".</summary>
    public static async Task<ExternalPeer> StartNodeAsync(string node, FireRecorder recorder)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "peers", "node-abort-server.js");
        var process = Process.Start(new ProcessStartInfo(node, [script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var port = JsonDocument.Parse(first!).RootElement.GetProperty("port").GetInt32();
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                var parts = line.Split(' ');
                if (parts is ["fired", var id, var ns])
                {
                    recorder.Fired(int.Parse(id, CultureInfo.InvariantCulture), Clock.FromMonotonicNanoseconds(long.Parse(ns, CultureInfo.InvariantCulture)));
                }
            }
        });
        return new ExternalPeer(process, port, null);
    }

    /// <summary>Starts nginx as a reverse proxy with its defaults (proxy_ignore_client_abort off, buffering on).</summary>
    public static async Task<ExternalPeer> StartNginxAsync(string nginx, int backendPort)
    {
        var directory = Directory.CreateTempSubdirectory("abortlab-bench-nginx-").FullName;
        var port = FreePort();
        var config = $$"""
            worker_processes 1;
            error_log {{directory}}/error.log warn;
            pid {{directory}}/nginx.pid;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path {{directory}}/body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                server {
                    listen 127.0.0.1:{{port}};
                    location / { proxy_pass http://127.0.0.1:{{backendPort}}; }
                }
            }
            """;
        var configPath = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(configPath, config);
        var process = Process.Start(new ProcessStartInfo(nginx, ["-p", directory, "-c", configPath, "-g", "daemon off;"]) { UseShellExecute = false, RedirectStandardError = true })!;
        var peer = new ExternalPeer(process, port, directory);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited: {await process.StandardError.ReadToEndAsync()}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return peer;
            }
            catch (SocketException)
            {
                await Task.Delay(25);
            }
        }

        await peer.DisposeAsync();
        throw new InvalidOperationException("nginx did not start listening within 5 s.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
