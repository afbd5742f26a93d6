using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AbortLab.Testing;
using Xunit.Abstractions;

namespace AbortLab.SlowTests.Packaging;

/// <summary>
/// Packs AbortLab and AbortLab.Yarp, then builds and runs a fresh minimal app outside the repository that takes them
/// from a local folder, as a user would, and checks that a client abort shows up in its diagnostics API.
/// </summary>
[Collection(ReleaseBuildCollection.Name)]
public sealed partial class PackageConsumptionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);

    private readonly string _work = Directory.CreateTempSubdirectory("abortlab-package-test-").FullName;

    [Fact]
    public async Task PackedPackages_UsedByAFreshApp_RecordAClientAbort()
    {
        var repository = RepositoryRoot.Find();
        var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        var feed = Directory.CreateDirectory(Path.Combine(_work, "feed")).FullName;
        foreach (var project in new[] { "src/AbortLab/AbortLab.csproj", "src/AbortLab.Yarp/AbortLab.Yarp.csproj" })
        {
            await RunAsync("dotnet", ["pack", Path.Combine(repository, project), "-c", "Release", "-o", feed, $"-p:Version={version}"], repository);
        }

        Assert.True(File.Exists(Path.Combine(feed, $"AbortLab.{version}.nupkg")));
        Assert.True(File.Exists(Path.Combine(feed, $"AbortLab.{version}.snupkg")));
        Assert.True(File.Exists(Path.Combine(feed, $"AbortLab.Yarp.{version}.nupkg")));

        var app = Directory.CreateDirectory(Path.Combine(_work, "consumer")).FullName;
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="abortlab-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <RestorePackagesPath>{Path.Combine(_work, "packages")}</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="AbortLab" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
            var builder = WebApplication.CreateBuilder(args);
            builder.Services.AddAbortLab();
            var app = builder.Build();
            app.UseAbortLab();
            app.MapGet("/slow", async (HttpContext context) =>
                await context.GetAbortScope().RunAsync("slow", token => Task.Delay(Timeout.Infinite, token)));
            app.MapAbortLab();
            app.Run();
            """);
        await RunAsync("dotnet", ["build", "-c", "Release", "-o", Path.Combine(app, "out")], app);

        using var server = ChildProcess.Start("dotnet", [Path.Combine(app, "out", "Consumer.dll"), "--urls", "http://127.0.0.1:0"], app, output, ListeningPattern());
        var address = new Uri((await server.Matched.WaitAsync(KestrelTestHost.WaitTimeout)).Groups[1].Value);
        using var http = new HttpClient { BaseAddress = address };
        await using var events = await SseReader.OpenAsync(http, "/abortlab/api/stream", null);

        using var client = await RawHttpConnection.ConnectAsync(address.Port);
        await client.SendAsync("GET /slow?abortlab-tag=from-package HTTP/1.1\r\nHost: consumer\r\n\r\n");
        await WaitForEventAsync(events, "workStarted");
        client.CloseWithFin();
        await WaitForEventAsync(events, "requestCompleted");

        var listed = await http.GetFromJsonAsync<JsonElement>("/abortlab/api/requests?tag=from-package");
        var request = Assert.Single(listed.GetProperty("requests").EnumerateArray());
        Assert.Equal("ClientDisconnected", request.GetProperty("abortReason").GetString());
        Assert.Equal(499, request.GetProperty("statusCode").GetInt32());
        Assert.Equal("Canceled", request.GetProperty("work")[0].GetProperty("outcome").GetString());
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

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningPattern();
}
