using AbortLab.Playwright;

namespace AbortLab.BrowserTests.Faults;

/// <summary>The faulty shop and its warehouse on free ports, and a rig that reads both hosts' records.</summary>
public sealed class FaultyShopFixture : IAsyncLifetime
{
    internal FaultyShop Shop { get; private set; } = null!;

    internal AbortRig Rig { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Shop = await FaultyShop.StartAsync();
        var options = BrowserLabFixture.RigOptions(Shop.Address);
        options.DiagnosticsAddresses.Add(Shop.Address);
        options.DiagnosticsAddresses.Add(Shop.WarehouseAddress);
        Rig = await AbortRig.LaunchAsync(options);
    }

    public async Task DisposeAsync()
    {
        await Rig.DisposeAsync();
        await Shop.DisposeAsync();
    }
}
