using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AbortLab.Testing;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Lab;

/// <summary>
/// The lab as a real child process, killed with SIGKILL in the middle of a burst of keyed orders, then started again
/// on the same file: every key is then run exactly once in all, none is stuck longer than one lease, and a key whose
/// order committed before its response was stored says so instead of running again.
/// </summary>
public sealed class LabCrashTests(ITestOutputHelper output)
{
    private const int Keys = 300;
    private const int KillAfterResponses = 100;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task KilledMidBurst_NoKeyRunsTwice_NoneIsStuckBeyondALease_AndCommittedButLostKeysSaySo()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("abortlab-crash-").FullName;
        try
        {
            var firstRound = new Dictionary<string, string>();
            using (var doomed = StartLab(dataDirectory))
            {
                using var http = new HttpClient { BaseAddress = await AddressAsync(doomed) };
                var answered = 0;
                var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using var inFlight = new SemaphoreSlim(32);
                var burst = Enumerable.Range(0, Keys).Select(async i =>
                {
                    await inFlight.WaitAsync();
                    try
                    {
                        if (killed.Task.IsCompleted)
                        {
                            return (Key(i), "not sent");
                        }

                        using var response = await OrderAsync(http, i);
                        if (Interlocked.Increment(ref answered) == KillAfterResponses)
                        {
                            // SIGKILL: no shutdown, no release, no response stored for what was in flight.
                            doomed.Process.Kill();
                            killed.TrySetResult();
                        }

                        return (Key(i), ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                    catch (HttpRequestException)
                    {
                        return (Key(i), "connection lost");
                    }
                    finally
                    {
                        inFlight.Release();
                    }
                });
                foreach (var (key, outcome) in await Task.WhenAll(burst))
                {
                    firstRound[key] = outcome;
                }

                await doomed.Process.WaitForExitAsync().WaitAsync(KestrelTestHost.WaitTimeout);
                Assert.Equal(137, doomed.Process.ExitCode);
            }

            // The dead process's claims are nobody's after one lease: wait for it once, then retry every key once.
            using var survivor = StartLab(dataDirectory);
            using var retryClient = new HttpClient { BaseAddress = await AddressAsync(survivor) };
            await Task.Delay(Lease + TimeSpan.FromMilliseconds(500));

            var retries = new Dictionary<string, string>();
            foreach (var chunk in Enumerable.Range(0, Keys).Chunk(32))
            {
                foreach (var (key, outcome) in await Task.WhenAll(chunk.Select(async i => (Key(i), await RetryOutcomeAsync(retryClient, i)))))
                {
                    retries[key] = outcome;
                }
            }

            var rows = await LabOrders.RowsPerKeyAsync(new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "abortlab-lab.db")};Pooling=False"));
            output.WriteLine($"first round: {LabOrders.Summary(firstRound.Values)}; retries: {LabOrders.Summary(retries.Values)}");

            Assert.DoesNotContain(retries, r => r.Value == LabOrders.InProgress);
            Assert.All(Enumerable.Range(0, Keys).Select(Key), key => Assert.Equal(1, rows.GetValueOrDefault(key)));
            Assert.All(retries, r => Assert.Contains(r.Value, new[] { LabOrders.Ran, LabOrders.Replayed, LabOrders.CommittedResponseLost }));
            Assert.Contains(firstRound.Values, o => o is "connection lost" or "not sent");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static string Key(int i) => $"crash-{i}";

    private static Task<HttpResponseMessage> OrderAsync(HttpClient http, int i) => LabOrders.SendAsync(http, Key(i), i % 150);

    private static Task<string> RetryOutcomeAsync(HttpClient http, int i) => LabOrders.OutcomeAsync(http, Key(i), i % 150);

    private static Task<Uri> AddressAsync(ChildProcess lab) => LabProcess.AppAddressAsync(lab);

    private ChildProcess StartLab(string dataDirectory) => LabProcess.Start(output, $"--Lab:DataDirectory={dataDirectory}", $"--Idempotency:Lease={Lease}");
}
