using System.Data.Common;
using System.Diagnostics;
using AbortLab.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Lab;

/// <summary>
/// Four labs as four real processes (as if four machines) sharing one database, a SQLite file or a real PostgreSQL
/// server: fifty keyed orders fired at all four at once, one process killed with SIGKILL mid-run. Each key's side
/// effect (its row in <c>lab_orders</c>) is there exactly once, and one lease after the kill no key of the dead
/// process is still held.
/// </summary>
public sealed class LabFleetTests(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const int Processes = 4;
    private const int Keys = 50;
    private const int HeldKeys = 5;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);

    // Longer than a lease, so a survivor waiting on a key the dead process held takes it over instead of giving up.
    private static readonly TimeSpan WaitForInFlight = TimeSpan.FromSeconds(20);

    private static readonly string[] FinalOutcomes = [LabOrders.Ran, LabOrders.Replayed, LabOrders.CommittedResponseLost];

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task FourProcessesSharingOneDatabase_FiftyKeysFiredAtAll_OneKilledMidRun_EachKeyRunsExactlyOnce(string database)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("abortlab-fleet-").FullName;
        // Four pools under the server's connection limit (200): a process may not take a quarter of it or more.
        var postgresDatabase = database == "postgres"
            ? new NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync()) { MaxPoolSize = 40 }.ConnectionString
            : null;
        string[] settings =
        [
            $"--Lab:DataDirectory={dataDirectory}",
            $"--Idempotency:Lease={Lease}",
            $"--Idempotency:WaitForInFlight={WaitForInFlight}",
            .. postgresDatabase is null ? Array.Empty<string>() : [$"--Lab:Postgres:ConnectionString={postgresDatabase}"],
        ];
        var labs = Enumerable.Range(0, Processes).Select(_ => LabProcess.Start(output, settings)).ToList();
        try
        {
            var clients = await Task.WhenAll(labs.Select(async lab => new HttpClient { BaseAddress = await LabProcess.AppAddressAsync(lab) }));

            // Each process warm (its database pool open, its order path compiled), so none wins every race by being first.
            await Task.WhenAll(clients.Select(c => c.GetStringAsync("/lab/order/count")));
            var victim = Processes - 1;

            // The process to be killed first claims a few keys of its own, with a commit delay long enough that they
            // are certainly still held, unfinished, when it dies.
            var heldByVictim = Enumerable.Range(0, HeldKeys).Select(i => LabOrders.OutcomeAsync(clients[victim], Key(i), CommitDelayMs(i))).ToList();
            var held = await WaitForUnfinishedClaimsAsync(postgresDatabase, dataDirectory, HeldKeys);
            var killing = 0;
            var killedAt = 0L;

            // Every key at every process at once (key i first to process i mod 4). The victim dies as soon as the
            // first answer of this round arrives: mid-run, with its held keys and others in flight everywhere.
            var flood = Enumerable.Range(0, Keys).SelectMany(i => Enumerable.Range(0, Processes).Select(async n =>
            {
                var p = (i + n) % Processes;
                var outcome = await LabOrders.OutcomeAsync(clients[p], Key(i), CommitDelayMs(i));
                if (Interlocked.Exchange(ref killing, 1) == 0)
                {
                    labs[victim].Process.Kill();
                    Volatile.Write(ref killedAt, Stopwatch.GetTimestamp());
                }

                return (Process: p, Key: Key(i), Outcome: outcome);
            }));
            var firstRound = await Task.WhenAll(flood.Concat(heldByVictim.Select(async (outcome, i) => (Process: victim, Key: Key(i), Outcome: await outcome))));
            await labs[victim].Process.WaitForExitAsync().WaitAsync(KestrelTestHost.WaitTimeout);
            var killed = Volatile.Read(ref killedAt);

            // A key the victim held whose claim has another owner now was taken over by a survivor.
            var owners = await OwnersAsync(Connect(postgresDatabase, dataDirectory));
            var takenOver = held.Where(claim => owners.GetValueOrDefault(claim.Key) != claim.Owner).Select(claim => claim.Key).ToList();

            // One lease after the kill, every key the dead process held is free: a retry of each key at a survivor
            // either replays it, says it committed, or runs it, and never finds it in progress.
            var sinceKill = Stopwatch.GetElapsedTime(killed);
            if (sinceKill < Lease)
            {
                await Task.Delay(Lease - sinceKill);
            }

            var retries = await Task.WhenAll(Enumerable.Range(0, Keys).Select(async i =>
                (Key: Key(i), Outcome: await LabOrders.OutcomeAsync(clients[i % victim], Key(i), CommitDelayMs(i)))));

            var rows = await LabOrders.RowsPerKeyAsync(Connect(postgresDatabase, dataDirectory));
            var runners = await DistinctRunnersAsync(Connect(postgresDatabase, dataDirectory));
            output.WriteLine($"{database}: victim exit {labs[victim].Process.ExitCode}; orders made by {runners} processes; " +
                $"keys it held when it died {held.Count}, taken over by survivors {takenOver.Count} ({string.Join(", ", takenOver)})");
            for (var p = 0; p < Processes; p++)
            {
                output.WriteLine($"  process {p}{(p == victim ? " (killed)" : string.Empty)}: {LabOrders.Summary(firstRound.Where(r => r.Process == p).Select(r => r.Outcome))}");
            }

            output.WriteLine($"  retries one lease after the kill: {LabOrders.Summary(retries.Select(r => r.Outcome))}");

            Assert.Equal(137, labs[victim].Process.ExitCode);
            Assert.Contains(firstRound, r => r.Process == victim && r.Outcome == LabOrders.ConnectionLost);
            // A survivor that stalled past its lease while the fleet ran loses its key to another and makes no order.
            Assert.All(firstRound.Where(r => r.Process != victim), r => Assert.Contains(r.Outcome, FinalOutcomes.Append(LabOrders.TakenOver)));
            Assert.All(retries, r => Assert.Contains(r.Outcome, FinalOutcomes));
            Assert.All(Enumerable.Range(0, Keys).Select(Key), key => Assert.Equal(1, rows.GetValueOrDefault(key)));
            Assert.True(runners > 1, "One process made every order: the keys were never contended.");
            Assert.Equal(held.Select(claim => claim.Key).Order(), takenOver.Order());
        }
        finally
        {
            foreach (var lab in labs)
            {
                lab.Dispose();
            }

            SqliteConnection.ClearAllPools();
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static string Key(int i) => $"fleet-{i}";

    // Orders take a while to commit, so the other processes' requests for the same key arrive while it is held; the
    // victim's own keys longer, past its death. A retry must be the same request, commit delay included.
    private static int CommitDelayMs(int i) => i < HeldKeys ? 5_000 : 50 + (i % 10 * 30);

    private static async Task<List<(string Key, string Owner)>> WaitForUnfinishedClaimsAsync(string? postgresDatabase, string dataDirectory, int count)
    {
        using var deadline = new CancellationTokenSource(KestrelTestHost.WaitTimeout);
        while (true)
        {
            try
            {
                var claims = await UnfinishedClaimsAsync(Connect(postgresDatabase, dataDirectory));
                if (claims.Count >= count)
                {
                    return [.. claims];
                }
            }
            catch (DbException)
            {
                // The store makes its table on its first claim: not there yet.
            }

            await Task.Delay(20, deadline.Token);
        }
    }

    private static DbConnection Connect(string? postgresDatabase, string dataDirectory) => postgresDatabase is null
        ? new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "abortlab-lab.db")};Pooling=False")
        : new NpgsqlConnection(postgresDatabase);

    private static async Task<long> DistinctRunnersAsync(DbConnection connection)
    {
        await using (connection)
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(DISTINCT process) FROM lab_orders";
            return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private static async Task<HashSet<(string Key, string Owner)>> UnfinishedClaimsAsync(DbConnection connection)
    {
        var claims = new HashSet<(string Key, string Owner)>();
        await foreach (var (key, owner, finished) in ClaimsAsync(connection))
        {
            if (!finished)
            {
                claims.Add((key, owner));
            }
        }

        return claims;
    }

    private static async Task<Dictionary<string, string>> OwnersAsync(DbConnection connection)
    {
        var owners = new Dictionary<string, string>();
        await foreach (var (key, owner, _) in ClaimsAsync(connection))
        {
            owners[key] = owner;
        }

        return owners;
    }

    private static async IAsyncEnumerable<(string Key, string Owner, bool Finished)> ClaimsAsync(DbConnection connection)
    {
        await using (connection)
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT key, owner, status_code IS NOT NULL FROM abortlab_idempotency";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                yield return (reader.GetString(0), reader.GetString(1), Convert.ToBoolean(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
