using AbortLab.Lab;
using AbortLab.Playwright;
using Microsoft.Extensions.Configuration;

namespace AbortLab.BrowserTests;

/// <summary>
/// The lab on free ports (edge → app → backend) and one rig per transport, shared by every browser test.
/// </summary>
public sealed class BrowserLabFixture : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("abortlab-browser-tests-").FullName;
    private readonly Dictionary<Transport, AbortRig> _rigs = [];

    internal LabTopology Lab { get; private set; } = null!;

    internal MatrixReport Report { get; } = new();

    public async Task InitializeAsync()
    {
        Lab = await LabTopology.StartAsync(
            new LabOptions
            {
                Edge = new EdgeOptions { HttpPort = 0, HttpsPort = 0 },
                App = new HopOptions { Port = 0 },
                Backend = new HopOptions { Port = 0 },
                DataDirectory = _dataDirectory,
            },
            new ConfigurationBuilder().Build());

        foreach (var transport in Enum.GetValues<Transport>())
        {
            _rigs[transport] = await AbortRig.LaunchAsync(RigOptions(AddressOf(transport)));
        }
    }

    internal Uri AddressOf(Transport transport) => transport switch
    {
        Transport.Http1Direct => Lab.App,
        Transport.Http1Edge => Lab.EdgeHttp,
        _ => Lab.EdgeHttps,
    };

    internal AbortRig Rig(Transport transport) => _rigs[transport];

    internal static AbortRigOptions RigOptions(Uri baseAddress) => new()
    {
        BaseAddress = baseAddress,
        IgnoreHttpsErrors = true,
        ArtifactsDirectory = RepositoryPaths.Artifacts,
    };

    public async Task DisposeAsync()
    {
        Report.Write(Path.Combine(RepositoryPaths.Artifacts, "matrix.md"));
        foreach (var rig in _rigs.Values)
        {
            await rig.DisposeAsync();
        }

        await Lab.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserLabCollection : ICollectionFixture<BrowserLabFixture>
{
    public const string Name = "browser lab";
}
