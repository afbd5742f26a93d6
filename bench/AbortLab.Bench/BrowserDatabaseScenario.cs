using System.Globalization;
using AbortLab.Lab;
using AbortLab.Playwright;
using AbortLab.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AbortLab.Bench;

/// <summary>
/// Scenario 12: the lab's EF Core endpoint (<c>/lab/db-ef</c>, a query that would take a minute, no token in the
/// endpoint) aborted by real Chromium through the lab's edge proxy (YARP), on SQLite and on PostgreSQL, judged by the
/// AbortLab rig. Each sample is one rig verdict: the latency is from the browser's abort to the last hop's work having
/// stopped (the rig's "work stopped"); the app hop's work must be <c>Canceled</c>, and no hop may log at Error. On
/// PostgreSQL the server's own view is polled during each sample: from the browser's abort to the statement leaving
/// <c>pg_stat_activity</c>.
/// </summary>
internal static class BrowserDatabaseScenario
{
    private const string Path = "/lab/db-ef?ms=60000";

    public sealed record Row(string Label, LatencyStats WorkStopped, int Failed, int NotCanceled, int ErrorLogs, LatencyStats? QueryGone, int StillRunning);

    public sealed record Outcome(IReadOnlyList<Row> Rows, bool PostgresMeasured);

    private enum Edge
    {
        Http1,
        Http2,
    }

    public static async Task<(ScenarioReport Report, Outcome? Outcome)> RunAsync(BenchSettings settings)
    {
        var samples = settings.Quick ? 10 : 100;
        var report = new ScenarioReport("browser-database", "12. EF Core queries aborted from Chromium through the edge", $"The lab (edge → app; `/lab/db-ef?ms=60000`: EF Core, no token in the endpoint, `UseAbortLab()` on the context) aborted by Debian's Chromium with `fetch` + `AbortController` once the query runs on the app (the rig waits for the command's tracked work), through the edge over HTTP/1.1 (`http://`) and HTTP/2 (`https://`). {samples} samples per row after 3 not counted, one at a time; latency from the browser's abort to the last hop's work having stopped, as the rig's verdict reports it; beside it, from the browser's abort to the edge and to the app seeing it. \"verdicts failed\" counts samples whose rig verdict failed (any check: detection, work stopped within 1 s, no CPU left, no child process, no Error log, socket closed); \"not Canceled\" those whose app hop recorded work not `Canceled`; \"Error logs\" the records at Error or above from every category of every hop (EF Core, Kestrel, YARP, AbortLab). PostgreSQL: a server of the benchmark's own (`initdb`, `pg_ctl` on a free loopback port), `pg_sleep(60)`; `pg_stat_activity` polled during the sample, latency from the browser's abort to the statement gone; \"cancelled before listed\" counts samples whose statement was cancelled before the server listed it as active (not in the latency), \"still running after 5 s\" those still listed 5 s after the verdict.");

        var rows = new List<Row>();
        try
        {
            rows.AddRange(await MeasureProviderAsync(report, "SQLite", postgres: null, samples));
        }
        catch (BrowserNotFoundException exception)
        {
            report.Notes.Add($"Skipped: {exception.Message}");
            return (report, null);
        }

        if (PostgresServer.FindBinaries() is null)
        {
            report.Notes.Add("PostgreSQL skipped: its server programs are not installed (`apt-get install postgresql`).");
            return (report, new Outcome(rows, PostgresMeasured: false));
        }

        await using var server = await PostgresServer.StartAsync();
        report.Notes.Add($"PostgreSQL {await ScalarAsync(server.ConnectionString, "SHOW server_version")}, Npgsql {typeof(NpgsqlConnection).Assembly.GetName().Version}.");
        rows.AddRange(await MeasureProviderAsync(report, "PostgreSQL", server, samples));
        NpgsqlConnection.ClearAllPools();
        return (report, new Outcome(rows, PostgresMeasured: true));
    }

    private static async Task<List<Row>> MeasureProviderAsync(ScenarioReport report, string provider, PostgresServer? postgres, int samples)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("abortlab-bench-lab-").FullName;
        var errors = new ErrorLogRecorder();
        var options = new LabOptions
        {
            Edge = new EdgeOptions { HttpPort = 0, HttpsPort = 0 },
            App = new HopOptions { Port = 0 },
            Backend = new HopOptions { Port = 0 },
            DataDirectory = dataDirectory,
            Postgres = new PostgresOptions { ConnectionString = postgres?.ConnectionString },
        };
        var lab = await LabTopology.StartAsync(options, new ConfigurationBuilder().Build(), logging => logging.ClearProviders().AddProvider(errors));
        var rows = new List<Row>();
        try
        {
            foreach (var edge in Enum.GetValues<Edge>())
            {
                var address = edge == Edge.Http1 ? lab.EdgeHttp : lab.EdgeHttps;
                await using var rig = await AbortRig.LaunchAsync(new AbortRigOptions { BaseAddress = address, IgnoreHttpsErrors = true });
                var browser = $"Chromium {rig.BrowserVersion} ({rig.ExecutablePath}).";
                if (!report.Notes.Contains(browser))
                {
                    report.Notes.Add(browser);
                }

                rows.Add(await MeasureRowAsync(report, $"EF Core + {provider}, edge {(edge == Edge.Http1 ? "HTTP/1.1" : "HTTP/2")}", rig, errors, postgres, samples));
            }
        }
        finally
        {
            await lab.DisposeAsync();
            SqliteConnection.ClearAllPools();
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }

        return rows;
    }

    private static async Task<Row> MeasureRowAsync(ScenarioReport report, string label, AbortRig rig, ErrorLogRecorder errors, PostgresServer? postgres, int samples)
    {
        var stopped = new List<double?>(samples);
        var gone = new List<double?>(samples);
        var edgeSaw = new List<double?>(samples);
        var appSaw = new List<double?>(samples);
        var failed = 0;
        var notCanceled = 0;
        var neverSeen = 0;
        var stillRunning = 0;
        var errorsBefore = errors.Count;
        string? firstFailure = null;
        for (var i = 0; i < samples + 3; i++)
        {
            using var watching = new CancellationTokenSource();
            var watcher = postgres is null ? null : WatchQueryAsync(postgres, watching.Token);
            var verdict = await rig.FireAsync(new AbortRequest(AbortKind.FetchBeforeResponse, Path) { ExpectedHops = ["edge", "app"] });
            (QueryFate Fate, DateTimeOffset? GoneAt)? query = null;
            if (watcher is not null)
            {
                watching.CancelAfter(TimeSpan.FromSeconds(5));
                query = await watcher;
            }

            var app = verdict.Timelines.FirstOrDefault(t => t.Hop == "app");
            var canceled = app is not null && app.Work.Count > 0 && app.Work.All(w => w.Outcome == WorkOutcome.Canceled);
            if (i < 3)
            {
                continue;
            }

            failed += verdict.Passed ? 0 : 1;
            firstFailure ??= verdict.Passed ? null : verdict.ToString();
            notCanceled += canceled ? 0 : 1;
            stopped.Add(verdict.WorkStoppedMs);
            edgeSaw.Add(verdict.DetectionMs);
            appSaw.Add(verdict.LastHopDetectionMs);
            switch (query)
            {
                case { Fate: QueryFate.Gone, GoneAt: { } at } when verdict.BrowserAbortedAt is { } abortedAt:
                    gone.Add((at - abortedAt).TotalMilliseconds);
                    break;
                case { Fate: QueryFate.NeverSeen }:
                    neverSeen++;
                    break;
                case { Fate: QueryFate.StillRunning }:
                    stillRunning++;
                    break;
            }
        }

        var errorLogs = errors.Count - errorsBefore;
        var workStopped = LatencyStats.From(stopped);
        var queryGone = postgres is null ? null : LatencyStats.From(gone);
        var row = report.Add(label).Latency(workStopped)
            .Set("edge saw it p50/p99 ms", Pair(LatencyStats.From(edgeSaw)))
            .Set("app saw it p50/p99 ms", Pair(LatencyStats.From(appSaw)))
            .Set("verdicts failed", failed).Set("not Canceled", notCanceled).Set("Error logs", errorLogs);
        if (queryGone is not null)
        {
            row.Set("pg_stat_activity gone p50 ms", queryGone.P50).Set("gone p99 ms", queryGone.P99).Set("cancelled before listed", neverSeen).Set("still running after 5 s", stillRunning);
        }

        if (firstFailure is not null)
        {
            report.Notes.Add($"{label}, first failed verdict: {firstFailure}");
        }

        if (errorLogs > 0)
        {
            report.Notes.Add($"{label}, first Error log: {errors.First}");
        }

        return new Row(label, workStopped, failed, notCanceled, errorLogs, queryGone, stillRunning);
    }

    private static string Pair(LatencyStats stats) => $"{LatencyStats.Format(stats.P50)} / {LatencyStats.Format(stats.P99)}";

    private enum QueryFate
    {
        Gone,
        NeverSeen,
        StillRunning,
    }

    // PostgreSQL's own view (another process: nothing to wait on, so polled): when the running pg_sleep left
    // pg_stat_activity, after having been seen there. A statement cancelled before the server listed it is never seen.
    private static async Task<(QueryFate Fate, DateTimeOffset? GoneAt)> WatchQueryAsync(PostgresServer postgres, CancellationToken token)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()", connection);
        var seen = false;
        while (true)
        {
            var active = Convert.ToInt32(await command.ExecuteScalarAsync(CancellationToken.None), CultureInfo.InvariantCulture);
            if (active > 0)
            {
                seen = true;
            }
            else if (seen)
            {
                return (QueryFate.Gone, TimeProvider.System.GetUtcNow());
            }

            if (token.IsCancellationRequested)
            {
                return (active > 0 ? QueryFate.StillRunning : QueryFate.NeverSeen, null);
            }

            await Task.Delay(1, CancellationToken.None);
        }
    }

    private static async Task<string?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString();
    }
}
