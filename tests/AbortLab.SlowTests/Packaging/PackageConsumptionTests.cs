using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AbortLab.Testing;
using Xunit.Abstractions;

namespace AbortLab.SlowTests.Packaging;

/// <summary>
/// Packs every shipping package (AbortLab, AbortLab.Yarp, AbortLab.EntityFrameworkCore, AbortLab.Idempotency and
/// AbortLab.Playwright), then builds and runs a fresh app outside the repository that takes them from a local folder,
/// as a user would: a client abort, a proxy hop to itself, an EF Core query on SQLite, an idempotent order, and the
/// rig judging a real abort from its own process. A package that used another's internals would fail here at run
/// time with a <see cref="MissingMethodException"/> once the two were built apart.
/// </summary>
[Collection(ReleaseBuildCollection.Name)]
public sealed partial class PackageConsumptionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);

    private static readonly string[] Packages = ["AbortLab", "AbortLab.Yarp", "AbortLab.EntityFrameworkCore", "AbortLab.Idempotency", "AbortLab.Playwright"];

    private readonly string _work = Directory.CreateTempSubdirectory("abortlab-package-test-").FullName;

    [Fact]
    public async Task PackedPackages_UsedByAFreshApp_WorkTogether()
    {
        var repository = RepositoryRoot.Find();
        var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        var feed = Directory.CreateDirectory(Path.Combine(_work, "feed")).FullName;
        foreach (var package in Packages)
        {
            await RunAsync("dotnet", ["pack", Path.Combine(repository, "src", package, $"{package}.csproj"), "-c", "Release", "-o", feed, $"-p:Version={version}"], repository);
            Assert.True(File.Exists(Path.Combine(feed, $"{package}.{version}.nupkg")), $"{package} was not packed.");
        }

        Assert.True(File.Exists(Path.Combine(feed, $"AbortLab.{version}.snupkg")));

        var app = Directory.CreateDirectory(Path.Combine(_work, "consumer")).FullName;
        await WriteConsumerAsync(app, feed, version, PackageVersion(repository, "Microsoft.EntityFrameworkCore.Sqlite"));
        await RunAsync("dotnet", ["build", "-c", "Release", "-o", Path.Combine(app, "out")], app);

        using var server = ChildProcess.Start(
            "dotnet",
            [Path.Combine(app, "out", "Consumer.dll"), "--urls", "http://127.0.0.1:0", "--db", Path.Combine(app, "shop.db")],
            app,
            output,
            ReadyPattern());
        var address = new Uri((await server.Matched.WaitAsync(KestrelTestHost.WaitTimeout)).Groups[1].Value);
        var port = address.Port;
        using var http = new HttpClient { BaseAddress = address };
        await using var events = await SseReader.OpenAsync(http, "/abortlab/api/stream", null);

        // The core: a client that leaves is recorded as such, its work canceled.
        await AbortAsync(port, events, "/slow?abortlab-tag=from-package");
        var direct = Assert.Single(await RequestsAsync(http, "from-package"));
        Assert.Equal("ClientDisconnected", direct.GetProperty("abortReason").GetString());
        Assert.Equal(499, direct.GetProperty("statusCode").GetInt32());
        Assert.Equal("Canceled", direct.GetProperty("work")[0].GetProperty("outcome").GetString());

        // AbortLab.Yarp: the same abort through a proxy hop; the forward is tracked and canceled, the hop behind aborted.
        await AbortAsync(port, events, "/hop/slow?abortlab-tag=via-hop", completions: 2);
        var hop = await RequestsAsync(http, "via-hop");
        Assert.Equal(2, hop.Count);
        Assert.All(hop, r => Assert.Equal("ClientDisconnected", r.GetProperty("abortReason").GetString()));
        Assert.Contains(hop, r => r.GetProperty("work").EnumerateArray().Any(w =>
            w.GetProperty("name").GetString()!.StartsWith("forward GET", StringComparison.Ordinal) && w.GetProperty("outcome").GetString() == "Canceled"));

        // AbortLab.EntityFrameworkCore: a query on SQLite is the request's tracked work.
        (await http.GetAsync("/db?abortlab-tag=ef-query")).EnsureSuccessStatusCode();
        var query = Assert.Single(await RequestsAsync(http, "ef-query"));
        Assert.Contains(query.GetProperty("work").EnumerateArray(), w => w.GetProperty("outcome").GetString() == "Completed");

        // AbortLab.Idempotency: the same key twice runs the order once.
        var first = await OrderAsync(http, "key-1");
        var second = await OrderAsync(http, "key-1");
        Assert.Equal(first, second);
        Assert.NotEqual(first, await OrderAsync(http, "key-2"));

        // AbortLab.Playwright: the rig, in a process of its own, judges a real abort through the diagnostics API.
        using var rig = ChildProcess.Start("dotnet", [Path.Combine(app, "out", "Consumer.dll"), "rig", address.ToString()], app, output, RigVerdictPattern());
        var verdict = await rig.Matched.WaitAsync(CommandTimeout);
        Assert.Equal("passed", verdict.Groups[1].Value);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task AbortAsync(int port, SseReader events, string target, int completions = 1)
    {
        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync($"GET {target} HTTP/1.1\r\nHost: consumer\r\n\r\n");

        // Through the hop, the forward starts first: the client leaves once the hop behind runs its work too.
        for (var i = 0; i < completions; i++)
        {
            await WaitForEventAsync(events, "workStarted");
        }

        client.CloseWithFin();
        for (var i = 0; i < completions; i++)
        {
            await WaitForEventAsync(events, "requestCompleted");
        }
    }

    private static async Task<List<JsonElement>> RequestsAsync(HttpClient http, string tag)
    {
        var listed = await http.GetFromJsonAsync<JsonElement>($"/abortlab/api/requests?tag={tag}");
        return [.. listed.GetProperty("requests").EnumerateArray()];
    }

    private static async Task<string> OrderAsync(HttpClient http, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = JsonContent.Create(new { item = "book" }) };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    // The consumer is outside the repository: it names the versions central package management gives ours.
    private static string PackageVersion(string repository, string package) =>
        System.Xml.Linq.XDocument.Load(Path.Combine(repository, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(e => (string?)e.Attribute("Include") == package).Attribute("Version")!.Value;

    private static async Task WriteConsumerAsync(string app, string feed, string version, string efVersion)
    {
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="abortlab-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        var references = string.Join(Environment.NewLine, Packages.Select(p => $"""    <PackageReference Include="{p}" Version="{version}" />"""));
        await File.WriteAllTextAsync(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <RestorePackagesPath>{Path.Combine(Path.GetDirectoryName(feed)!, "packages")}</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
            {references}
                <PackageReference Include="Microsoft.EntityFrameworkCore.Sqlite" Version="{efVersion}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
            using AbortLab.Idempotency;
            using AbortLab.Playwright;
            using Microsoft.EntityFrameworkCore;
            using Yarp.ReverseProxy.Configuration;

            if (args is ["rig", var target])
            {
                await using var rig = await AbortRig.LaunchAsync(new AbortRigOptions { BaseAddress = new Uri(target) });
                var verdict = await rig.FireAsync(new AbortRequest(AbortKind.FetchBeforeResponse, "/slow"));
                Console.WriteLine(verdict);
                Console.WriteLine($"rig verdict: {(verdict.Passed ? "passed" : "failed")}");
                return 0;
            }

            var builder = WebApplication.CreateBuilder(args);
            builder.Services.AddAbortLab();
            builder.Services.AddReverseProxy().LoadFromMemory([], []).AddAbortLab();
            builder.Services.AddDbContext<ShopContext>(o => o.UseSqlite($"Data Source={builder.Configuration["db"]}").UseAbortLab());
            builder.Services.AddIdempotency();
            var app = builder.Build();
            app.UseAbortLab();
            app.UseRouting();
            app.UseIdempotency();
            app.MapGet("/slow", async (HttpContext context) =>
                await context.GetAbortScope().RunAsync("slow", token => Task.Delay(Timeout.Infinite, token)));
            app.MapGet("/db", async (ShopContext db, CancellationToken token) => await db.Database.ExecuteSqlRawAsync("SELECT 1", token));
            var orders = 0;
            app.MapPost("/orders", () => Results.Ok(new { order = Interlocked.Increment(ref orders) })).WithIdempotency();
            app.MapReverseProxy();
            app.MapAbortLab();
            await app.StartAsync();

            // The proxy hop forwards to this app itself, on the port it was given.
            var self = app.Urls.First();
            app.Services.GetRequiredService<InMemoryConfigProvider>().Update(
                [new RouteConfig { RouteId = "hop", ClusterId = "self", Match = new RouteMatch { Path = "/hop/{**rest}" }, Transforms = [new Dictionary<string, string> { ["PathRemovePrefix"] = "/hop" }] }],
                [new ClusterConfig { ClusterId = "self", Destinations = new Dictionary<string, DestinationConfig> { ["self"] = new() { Address = self } } }]);
            Console.WriteLine($"consumer ready: {self}");
            await app.WaitForShutdownAsync();
            return 0;

            internal sealed class ShopContext(DbContextOptions<ShopContext> options) : DbContext(options);
            """);
    }

    private static async Task WaitForEventAsync(SseReader events, string name)
    {
        while ((await events.ReadAsync(1))[0].Event != name)
        {
        }
    }

    private async Task RunAsync(string file, string[] arguments, string workingDirectory)
    {
        using var process = ChildProcess.Start(file, arguments, workingDirectory, output);
        await process.RunToSuccessAsync(CommandTimeout);
    }

    [GeneratedRegex(@"consumer ready: (http://\S+)")]
    private static partial Regex ReadyPattern();

    [GeneratedRegex(@"rig verdict: (passed|failed)")]
    private static partial Regex RigVerdictPattern();
}
