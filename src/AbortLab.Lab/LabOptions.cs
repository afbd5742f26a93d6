using System.ComponentModel.DataAnnotations;
using System.Net;

namespace AbortLab.Lab;

/// <summary>
/// Where the lab's hops listen. Bound from the <c>Lab</c> section (appsettings.json, command line such as
/// <c>--Lab:Edge:HttpPort=6080</c>, or environment variables such as <c>Lab__Edge__HttpPort</c>). Port 0 picks a free port.
/// </summary>
internal sealed class LabOptions
{
    [Required]
    public string Address { get; set; } = "127.0.0.1";

    public EdgeOptions Edge { get; set; } = new();

    public HopOptions App { get; set; } = new() { Port = 5081 };

    public HopOptions Backend { get; set; } = new() { Port = 5082 };

    /// <summary>The protocol of the edge's and the app's upstream calls: Http1, or Http2 (h2c, prior knowledge).</summary>
    public UpstreamProtocol UpstreamProtocol { get; set; } = UpstreamProtocol.Http1;

    /// <summary>A PFX certificate for the edge's HTTPS endpoint; a self-signed one is made at start-up when empty.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>Where the lab keeps its SQLite database; the system's temporary folder when empty.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>A PostgreSQL server for the EF Core scenario (<c>/lab/db-ef</c>); SQLite when not set.</summary>
    public PostgresOptions Postgres { get; set; } = new();

    /// <summary>
    /// Host names the lab answers besides this machine's own (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>, the
    /// machine name and <see cref="Address"/>), such as <c>--Lab:AllowedHosts:0=lab.example</c>. Any other
    /// <c>Host</c> gets 400: a page on a name that an attacker points at 127.0.0.1 (DNS rebinding) reaches nothing.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>The host names every hop answers.</summary>
    public IReadOnlyList<string> HostNames()
    {
        var names = new List<string> { "localhost", "*.localhost", "127.0.0.1", "[::1]", Environment.MachineName };
        if (IPAddress.TryParse(Address, out var address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
        {
            names.Add(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString());
        }

        names.AddRange(AllowedHosts);
        return names.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    public IEnumerable<string> Validate()
    {
        if (!IPAddress.TryParse(Address, out _))
        {
            yield return $"Lab:Address '{Address}' is not an IP address.";
        }

        foreach (var (name, port) in new[] { ("Lab:Edge:HttpPort", Edge.HttpPort), ("Lab:Edge:HttpsPort", Edge.HttpsPort), ("Lab:App:Port", App.Port), ("Lab:Backend:Port", Backend.Port) })
        {
            if (port is < 0 or > 65535)
            {
                yield return $"{name} {port} is not a port (0 to 65535, 0 for any free port).";
            }
        }

        foreach (var host in AllowedHosts)
        {
            if (string.IsNullOrWhiteSpace(host) || host.Contains('/', StringComparison.Ordinal) || host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
            {
                yield return $"Lab:AllowedHosts '{host}' is not a host name (no scheme, path or port; IPv6 in brackets).";
            }
        }

        if (CertificatePath is not null && !File.Exists(CertificatePath))
        {
            yield return $"Lab:CertificatePath '{CertificatePath}' does not exist.";
        }

        if (Postgres.ConnectionString is { } connectionString && !Postgres.IsValid(connectionString))
        {
            yield return "Lab:Postgres:ConnectionString is not a PostgreSQL connection string (Host=...;Username=...;Database=...).";
        }
    }
}

internal sealed class PostgresOptions
{
    /// <summary>An Npgsql connection string, such as <c>Host=127.0.0.1;Username=postgres;Database=postgres</c>.</summary>
    public string? ConnectionString { get; set; }

    public bool IsValid(string connectionString)
    {
        try
        {
            return new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Host is { Length: > 0 };
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

internal sealed class EdgeOptions
{
    public int HttpPort { get; set; } = 5080;

    public int HttpsPort { get; set; } = 5443;
}

internal sealed class HopOptions
{
    public int Port { get; set; }
}

internal enum UpstreamProtocol
{
    Http1,
    Http2,
}
