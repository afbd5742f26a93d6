using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AbortLab.Tests.Infrastructure;
using Xunit.Abstractions;

namespace AbortLab.Tests.Packaging;

/// <summary>
/// Packs AbortLab and AbortLab.Yarp, then builds and runs a fresh minimal app outside the repository that takes them
/// from a local folder, as a user would, and checks that a client abort shows up in its diagnostics API.
/// </summary>
public sealed partial class PackageConsumptionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);

    private readonly string _work = Directory.CreateTempSubdirectory("abortlab-package-test-").FullName;

    [Fact]
    public async Task PackedPackages_UsedByAFreshApp_RecordAClientAbort()
    {
        var repository = FindRepositoryRoot();
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

        using var server = Start("dotnet", [Path.Combine(app, "out", "Consumer.dll"), "--urls", "http://127.0.0.1:0"], app, out var listening);
        var address = new Uri(await listening.Task.WaitAsync(KestrelTestHost.WaitTimeout));
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

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AbortLab.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("AbortLab.sln not found above the test's folder.");
    }

    private async Task RunAsync(string file, string[] arguments, string workingDirectory)
    {
        using var running = Start(file, arguments, workingDirectory, out _);
        using var timeout = new CancellationTokenSource(CommandTimeout);
        await running.Process.WaitForExitAsync(timeout.Token);
        Assert.True(running.Process.ExitCode == 0, $"'{file} {string.Join(' ', arguments)}' exited with {running.Process.ExitCode}; see the test output.");
    }

    private RunningProcess Start(string file, string[] arguments, string workingDirectory, out TaskCompletionSource<string> listening)
    {
        var startInfo = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = startInfo };
        var address = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        listening = address;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.WriteLine(e.Data);
            if (ListeningPattern().Match(e.Data) is { Success: true } match)
            {
                address.TrySetResult(match.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.WriteLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new RunningProcess(process);
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningPattern();

    /// <summary>A child process that is killed, with its tree, when the test is done with it.</summary>
    private sealed class RunningProcess(Process process) : IDisposable
    {
        public Process Process { get; } = process;

        public void Dispose()
        {
            AbortableProcess.KillTree(Process);
            Process.WaitForExit();
            Process.Dispose();
        }
    }
}
