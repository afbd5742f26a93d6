#region readme-playwright-fixture
using AbortLab.Playwright;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

public sealed class ShopRig : AbortRigFixture
{
    private WebApplicationFactory<Program>? _app;

    protected override Task<AbortRigOptions> CreateOptionsAsync()
    {
        _app = new WebApplicationFactory<Program>();
        _app.UseKestrel(0);          // a real socket on a free port: aborts need one
        _app.StartServer();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return Task.FromResult(new AbortRigOptions { BaseAddress = new Uri(address.Replace("localhost", "127.0.0.1")) });
    }

    protected override async Task StopAppAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

public sealed class AbortTests(ShopRig rig) : IClassFixture<ShopRig>
{
    [Theory]
    [InlineData(AbortKind.FetchBeforeResponse)]
    [InlineData(AbortKind.NavigationAway)]
    [InlineData(AbortKind.PageClose)]
    public async Task SlowReport_StopsWhenTheBrowserLeaves(AbortKind kind)
    {
        var verdict = await rig.FireAsync(new AbortRequest(kind, "/reports/slow"));

        verdict.EnsurePassed();   // throws with every failure, the server's records and the artifacts' paths
    }
}
#endregion
