using AbortLab.Lab;
using Microsoft.Extensions.Configuration;

namespace AbortLab.FunctionalTests.Lab;

/// <summary>One lab (edge → app → backend, every port 0) shared by the lab tests.</summary>
public sealed class LabFixture : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("abortlab-lab-tests-").FullName;

    internal LabTopology Topology { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var options = new LabOptions
        {
            Edge = new EdgeOptions { HttpPort = 0, HttpsPort = 0 },
            App = new HopOptions { Port = 0 },
            Backend = new HopOptions { Port = 0 },
            DataDirectory = _dataDirectory,
        };
        Topology = await LabTopology.StartAsync(options, new ConfigurationBuilder().Build());
    }

    public async Task DisposeAsync()
    {
        await Topology.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}
