using AbortLab.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace AbortLab.Tests.Hosting;

public sealed class CurrentAbortLabOptionsTests
{
    [Fact]
    public void Value_FollowsAReloadedConfiguration()
    {
        var source = new MemoryConfigurationSource { InitialData = new Dictionary<string, string?> { ["AbortLab:HopName"] = "before" } };
        var configuration = new ConfigurationBuilder().Add(source).Build();
        var services = new ServiceCollection().AddAbortLab(configuration.GetSection("AbortLab"));
        using var provider = services.BuildServiceProvider();
        var current = provider.GetRequiredService<CurrentAbortLabOptions>();
        Assert.Equal("before", current.Value.HopName);

        configuration["AbortLab:HopName"] = "after";
        configuration.Reload();

        Assert.Equal("after", current.Value.HopName);
        Assert.Equal("after", provider.GetRequiredService<HopName>().Value);
    }
}
