using AbortLab.Hosting;
using AbortLab.Testing;
using AbortLab.Timelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AbortLab.Tests.Hosting;

public sealed class AbortLabSetupTests
{
    [Fact]
    public void UseAbortLab_WithoutAddAbortLab_FailsWithTheFixInTheMessage()
    {
        var app = new ApplicationBuilder(new ServiceCollection().BuildServiceProvider());

        var error = Assert.Throws<InvalidOperationException>(() => app.UseAbortLab());

        Assert.Contains("services.AddAbortLab()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetAbortScope_OutsideAbortLab_FailsWithTheFixInTheMessage()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new DefaultHttpContext().GetAbortScope());
        Assert.Contains("app.UseAbortLab()", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TimelineCapacity", "0")]
    [InlineData("ClientDisconnectedStatusCode", "200")]
    [InlineData("ConnectionLingerTimeout", "-00:00:01")]
    [InlineData("StalledUploads:ProbeInterval", "00:01:00")]
    [InlineData("StalledUploads:ReadAheadMaxBytes", "10")]
    [InlineData("StalledUploads:SpoolDirectory", "/no/such/folder/abortlab")]
    [InlineData("StalledUploads:ReadAheadMemoryLimit", "67108864")]
    [InlineData("Shutdown:DrainTimeout", "00:00:30")]
    [InlineData("TagHeaderName", "")]
    public async Task InvalidOptions_FailTheHostAtStartUp_NamingTheOption(string key, string value)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"AbortLab:{key}"] = value })
            .Build();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddAbortLab(configuration.GetSection("AbortLab"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        var leaf = key.Split(':').Last();
        Assert.Contains(leaf, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("health")]
    [InlineData("/health?probe=1")]
    [InlineData("")]
    public async Task ExcludedPaths_ThatAreNotPaths_FailTheHostAtStartUp(string path)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["AbortLab:ExcludedPaths:0"] = "/health", ["AbortLab:ExcludedPaths:1"] = path })
            .Build();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddAbortLab(configuration.GetSection("AbortLab"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("AbortLabOptions.ExcludedPaths", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{path}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'/health'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExcludedPath_PassesThroughWithoutScopeOrTimeline_WholeSegmentsOnly()
    {
        var scopes = new List<(string Path, AbortScope? Scope)>();
        using var harness = new MiddlewareHarness(
            context =>
            {
                scopes.Add((context.Request.Path.Value!, AbortScope.Current));
                return Task.CompletedTask;
            },
            options => options.ExcludedPaths.Add("/health"));

        await harness.Pipeline(MiddlewareHarness.NewContext("/health"));
        await harness.Pipeline(MiddlewareHarness.NewContext("/HEALTH/ready"));
        await harness.Pipeline(MiddlewareHarness.NewContext("/healthy"));
        var excluded = MiddlewareHarness.NewContext("/health");
        await harness.Pipeline(excluded);

        Assert.Null(scopes.Single(s => s.Path == "/HEALTH/ready").Scope);
        Assert.All(scopes.Where(s => s.Path == "/health"), s => Assert.Null(s.Scope));
        Assert.NotNull(scopes.Single(s => s.Path == "/healthy").Scope);
        Assert.Equal(["/healthy"], harness.Store.GetRecent(new TimelineQuery()).Select(t => t.Path));
        Assert.Equal(1, harness.Store.LastTimelineId);
        var error = Assert.Throws<InvalidOperationException>(() => excluded.GetAbortScope());
        Assert.Contains("ExcludedPaths", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultOptions_AreValid()
    {
        var result = new AbortLabOptionsValidator().Validate(null, new AbortLabOptions());
        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public async Task Timeline_RedactsQueryValuesByDefault_AndTakesTheTagFromTheQuery()
    {
        using var harness = new MiddlewareHarness(_ => Task.CompletedTask);

        await harness.Pipeline(MiddlewareHarness.NewContext("/search", "?q=secret&abortlab-tag=t1"));

        var timeline = harness.Store.GetRecent(new TimelineQuery()).Single();
        Assert.Equal("/search?q=***&abortlab-tag=***", timeline.Path);
        Assert.Equal("t1", timeline.Tag);
        Assert.Equal("unit", timeline.Hop);
    }

    [Fact]
    public async Task Timeline_KeepsTheQueryWhenRedactionIsOff_AndTakesTheTraceIdFromTraceparent()
    {
        using var harness = new MiddlewareHarness(_ => Task.CompletedTask, options => options.RedactQueryString = false);
        var context = MiddlewareHarness.NewContext("/search", "?q=1");
        context.Request.Headers.TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        await harness.Pipeline(context);

        var timeline = harness.Store.GetRecent(new TimelineQuery()).Single();
        Assert.Equal("/search?q=1", timeline.Path);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", timeline.TraceId);
    }

    [Fact]
    public async Task RequestAborted_InsideTheScope_IsTheScopesOwnToken_AndIsRestoredAfter()
    {
        CancellationToken seen = default;
        AbortScope? scope = null;
        using var harness = new MiddlewareHarness(context =>
        {
            seen = context.RequestAborted;
            scope = AbortScope.Current;
            return Task.CompletedTask;
        });
        var context = MiddlewareHarness.NewContext();
        var original = context.RequestAborted;

        await harness.Pipeline(context);

        Assert.NotNull(scope);
        Assert.Equal(scope.RequestAbortedToken, seen);
        Assert.Equal(original, context.RequestAborted);
    }
}
