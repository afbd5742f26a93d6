using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AbortLab.Testing;

/// <summary>
/// A real PostgreSQL server of the test's own: <c>initdb</c> in a temporary directory, <c>pg_ctl</c> on a free
/// loopback port, trust authentication for the <c>postgres</c> user, stopped and deleted on dispose. Run as the
/// <c>postgres</c> system user when the tests run as root (PostgreSQL refuses to run as root).
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    private const string SystemUser = "postgres";
    private readonly string _directory;
    private readonly string _binaries;
    private readonly bool _asSystemUser;

    private PostgresServer(string directory, string binaries, bool asSystemUser, int port)
    {
        _directory = directory;
        _binaries = binaries;
        _asSystemUser = asSystemUser;
        Port = port;
    }

    public int Port { get; }

    /// <summary>An Npgsql connection string to the <c>postgres</c> database as the <c>postgres</c> user.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true;Timeout=30";

    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>The directory holding <c>initdb</c> and <c>pg_ctl</c>, or null when PostgreSQL is not installed.</summary>
    public static string? FindBinaries()
    {
        var fromPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
        if (fromPath is not null)
        {
            return fromPath;
        }

        // Debian keeps the server's programs out of PATH: /usr/lib/postgresql/<major>/bin.
        const string debian = "/usr/lib/postgresql";
        return Directory.Exists(debian)
            ? Directory.GetDirectories(debian)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var major) ? major : 0)
                .FirstOrDefault()
            : null;
    }

    public static async Task<PostgresServer> StartAsync()
    {
        var binaries = FindBinaries() ?? throw new InvalidOperationException("PostgreSQL is not installed: ./test.sh installs it (apt-get install postgresql).");
        var asSystemUser = Environment.UserName == "root";
        var directory = Directory.CreateTempSubdirectory("abortlab-pg-").FullName;
        if (asSystemUser)
        {
            await RunAsync("chown", [SystemUser, directory]);
        }

        var port = FreePort();
        var server = new PostgresServer(directory, binaries, asSystemUser, port);
        try
        {
            await server.RunServerToolAsync("initdb", ["-D", server.DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
            await server.RunServerToolAsync("pg_ctl", [
                "start", "-D", server.DataDirectory, "-w", "-t", "60", "-l", Path.Combine(directory, "server.log"),
                "-o", $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            ]);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server's log so far (for a failing test's output).</summary>
    public string ReadLog()
    {
        var log = Path.Combine(_directory, "server.log");
        return File.Exists(log) ? File.ReadAllText(log) : string.Empty;
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await RunServerToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "30"]);
            }
            catch (InvalidOperationException)
            {
                // Already gone: nothing to stop.
            }
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task RunServerToolAsync(string tool, IReadOnlyList<string> arguments)
    {
        var path = Path.Combine(_binaries, tool);
        return _asSystemUser ? RunAsync("runuser", ["-u", SystemUser, "--", path, .. arguments]) : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments)
    {
        var startInfo = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{file} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }
}
