using System.Text.RegularExpressions;
using AbortLab.Testing;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Lab;

/// <summary>The lab as a real child process (every port 0), as a user starts it, and the app hop's address it prints.</summary>
internal static partial class LabProcess
{
    public static ChildProcess Start(ITestOutputHelper output, params string[] settings) => ChildProcess.Start(
        "dotnet",
        [
            Path.Combine(AppContext.BaseDirectory, "AbortLab.Lab.dll"),
            "--Lab:Edge:HttpPort=0", "--Lab:Edge:HttpsPort=0", "--Lab:App:Port=0", "--Lab:Backend:Port=0",
            .. settings,
        ],
        AppContext.BaseDirectory,
        output,
        AppAddress());

    public static async Task<Uri> AppAddressAsync(ChildProcess lab) => new((await lab.Matched.WaitAsync(TimeSpan.FromSeconds(60))).Groups[1].Value);

    [GeneratedRegex(@"^\s+app\s+(http://\S+)")]
    private static partial Regex AppAddress();
}
