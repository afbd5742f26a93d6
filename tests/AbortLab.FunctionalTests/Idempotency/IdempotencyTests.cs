using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AbortLab.Idempotency;
using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AbortLab.FunctionalTests.Idempotency;

/// <summary>The middleware over each store: in memory, a SQLite file, and a real PostgreSQL server (the class's own).</summary>
public sealed class IdempotencyTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IDisposable
{
    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"abortlab-idempotency-{Guid.NewGuid():N}.db");
    private readonly Signal _beforeCommit = new();
    private readonly Signal _releaseBeforeCommit = new();
    private readonly Signal _afterCommit = new();
    private readonly Signal _releaseAfterCommit = new();
    private int _sideEffects;

    public enum Store
    {
        Memory,
        Sqlite,
        Postgres,
    }

    [Theory]
    [InlineData(Store.Memory)]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task RetryAfterCompletion_ReplaysTheStoredResponse_AndTheSideEffectRanOnce(Store store)
    {
        await using var host = await StartAsync(store);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var first = await PostAsync(http, "k1", "book");
        using var retry = await PostAsync(http, "k1", "book");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal("true", retry.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal(1, _sideEffects);
    }

    [Theory]
    [InlineData(Store.Memory)]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task ConcurrentDuplicate_Gets409_WhileTheFirstRuns(Store store)
    {
        await using var host = await StartAsync(store);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        var first = PostAsync(http, "k2", "book", "before");
        await _beforeCommit.WaitAsync();
        using var duplicate = await PostAsync(http, "k2", "book");
        _releaseBeforeCommit.Set();

        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal("application/problem+json", duplicate.Content.Headers.ContentType?.MediaType);
        using var done = await first;
        Assert.Equal(HttpStatusCode.Created, done.StatusCode);
        Assert.Equal(1, _sideEffects);
    }

    [Theory]
    [InlineData(Store.Memory)]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task SameKeyWithAnotherBody_Gets422(Store store)
    {
        await using var host = await StartAsync(store);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var first = await PostAsync(http, "k3", "book");
        using var other = await PostAsync(http, "k3", "pen");

        Assert.Equal((HttpStatusCode)422, other.StatusCode);
        Assert.Equal(1, _sideEffects);
    }

    [Theory]
    [InlineData(Store.Memory)]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AbortedBeforeCommit_TheRetryRunsAgain(Store store)
    {
        await using var host = await StartAsync(store);
        using (var client = await RawHttpConnection.ConnectAsync(host.Port))
        {
            await client.SendAsync(RawPost("k4", "book", "before"));
            await _beforeCommit.WaitAsync();
            client.CloseWithFin();
        }

        await host.WaitForTimelineAsync(t => t.Tag == "k4" && t.CompletedAt is not null);
        Assert.Equal(0, _sideEffects);

        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using var retry = await PostAsync(http, "k4", "book");

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.False(retry.Headers.Contains("Idempotency-Replayed"));
        Assert.Equal(1, _sideEffects);
    }

    [Theory]
    [InlineData(Store.Memory)]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AbortedAfterCommit_TheRetryReplays(Store store)
    {
        await using var host = await StartAsync(store);
        using (var client = await RawHttpConnection.ConnectAsync(host.Port))
        {
            await client.SendAsync(RawPost("k5", "book", "after"));
            await _afterCommit.WaitAsync();
            client.CloseWithFin();
        }

        await host.WaitForTimelineAsync(t => t.Tag == "k5" && t.AbortReason == AbortReason.ClientDisconnected);
        _releaseAfterCommit.Set();
        await host.WaitForTimelineAsync(t => t.Tag == "k5" && t.CompletedAt is not null);

        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using var retry = await PostAsync(http, "k5", "book");

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal(1, (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("order").GetInt32());
        Assert.Equal(1, _sideEffects);
    }

    [Theory]
    [InlineData(Store.Memory)]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task ExpiredKey_RunsAgain(Store store)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(store, time);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var first = await PostAsync(http, "k6", "book");
        time.Advance(TimeSpan.FromSeconds(11));
        using var later = await PostAsync(http, "k6", "book");

        Assert.False(later.Headers.Contains("Idempotency-Replayed"));
        Assert.Equal(2, _sideEffects);
    }

    [Theory]
    [InlineData(Store.Memory)]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AKeyWhoseOwnerDied_BeforeItsCommit_IsClaimableOnceItsLeaseEnds(Store store)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(store, time);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var keys = host.Services.GetRequiredService<IIdempotencyStore>();

        // What a process killed mid-request leaves behind: a claim nobody renews.
        await keys.ClaimAsync("dead-1", FingerprintOf("book"), "killed-process", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), default);
        using var whileLeased = await PostBodyAsync(http, "dead-1", "book");
        time.Advance(TimeSpan.FromSeconds(2));
        using var afterLease = await PostBodyAsync(http, "dead-1", "book");
        using var replay = await PostBodyAsync(http, "dead-1", "book");

        Assert.Equal(HttpStatusCode.Conflict, whileLeased.StatusCode);
        Assert.Equal("Request in progress", (await whileLeased.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.Created, afterLease.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal(1, _sideEffects);
    }

    [Theory]
    [InlineData(Store.Memory)]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AKeyWhoseOwnerDied_AfterItsCommit_IsNeverRunAgain_AndSaysItsResponseWasLost(Store store)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(store, time);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var keys = host.Services.GetRequiredService<IIdempotencyStore>();
        await keys.ClaimAsync("dead-2", FingerprintOf("book"), "killed-process", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), default);
        await keys.MarkCommittedAsync("dead-2", "killed-process", default);

        time.Advance(TimeSpan.FromSeconds(3));
        using var retry = await PostBodyAsync(http, "dead-2", "book");
        using var again = await PostBodyAsync(http, "dead-2", "book");

        Assert.Equal(HttpStatusCode.Conflict, retry.StatusCode);
        var problem = await retry.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:abortlab:idempotency:committed-response-lost", problem.GetProperty("type").GetString());
        Assert.False(retry.Headers.Contains("Retry-After"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(0, _sideEffects);
    }

    [Theory]
    [InlineData(Store.Memory)]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task ALiveOwner_RenewsItsLease_SoAStalledButLivingRequestIsNotTakenOver(Store store)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(store, time);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        var first = PostAsync(http, "alive", "book", hold: "before");
        await _beforeCommit.WaitAsync();
        var renewals = (RenewalSignalingStore)host.Services.GetRequiredService<IIdempotencyStore>();
        for (var i = 1; i <= 6; i++)
        {
            // Each step is a third of the lease: the renewals keep the claim, however long the request runs.
            time.Advance(TimeSpan.FromMilliseconds(667));
            await renewals.WaitForRenewalsAsync(i);
        }

        using var duplicate = await PostAsync(http, "alive", "book");
        _releaseBeforeCommit.Set();
        using var original = await first;

        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal(HttpStatusCode.Created, original.StatusCode);
        Assert.Equal(1, _sideEffects);
    }

    [Theory]
    [InlineData(Store.Memory)]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task ExpiredKeys_ArePurged(Store store)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(store, time);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        for (var i = 0; i < 5; i++)
        {
            using var response = await PostAsync(http, $"purge-{i}", "book");
        }

        time.Advance(TimeSpan.FromSeconds(11));

        Assert.Equal(5, await host.Services.GetRequiredService<IIdempotencyStore>().PurgeExpiredAsync(default));
        Assert.Equal(0, await host.Services.GetRequiredService<IIdempotencyStore>().PurgeExpiredAsync(default));
    }

    [Fact]
    public async Task CorruptStore_Refuses503_AndNeverRunsTheRequest()
    {
        await File.WriteAllTextAsync(_databasePath, "this is not a SQLite database, whatever its name says");
        await using var host = await StartAsync(Store.Sqlite);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var response = await PostAsync(http, "k7", "book");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(0, _sideEffects);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Name == "IdempotencyStoreFailed");
    }

    [Fact]
    public async Task LockedStore_Refuses503_AndNeverRunsTheRequest()
    {
        await using var host = await StartAsync(Store.Sqlite);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using (await PostAsync(http, "warm-up", "book"))
        {
        }

        await using var locker = new SqliteConnection($"Data Source={_databasePath};Pooling=False");
        await locker.OpenAsync();
        await using (var begin = locker.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            await begin.ExecuteNonQueryAsync();
        }

        using var response = await PostAsync(http, "k8", "book");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, _sideEffects);
    }

    // Before the commit mark a server error is a failure to retry, not an answer: not stored, the key released.
    [Theory]
    [InlineData(Store.Memory, false)]
    [InlineData(Store.Sqlite, false)]
    [InlineData(Store.Postgres, false)]
    [InlineData(Store.Memory, true)]
    [InlineData(Store.Sqlite, true)]
    [InlineData(Store.Postgres, true)]
    public async Task ServerError_IsStored_OnlyAfterTheCommit(Store store, bool afterCommit)
    {
        await using var host = await StartAsync(store);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var failed = await PostAsync(http, "k9", "book", afterCommit ? "fail-after-commit" : "unavailable");
        using var retry = await PostAsync(http, "k9", "book");

        Assert.Equal(afterCommit ? HttpStatusCode.InternalServerError : HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal(afterCommit ? HttpStatusCode.InternalServerError : HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(afterCommit, retry.Headers.Contains("Idempotency-Replayed"));
        Assert.Equal(1, _sideEffects);
    }

    [Fact]
    public async Task MalformedKey_Gets400()
    {
        await using var host = await StartAsync(Store.Memory);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var response = await PostAsync(http, new string('x', 300), "book");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, _sideEffects);
    }

    public void Dispose()
    {
        // Each test has a database of its own on the class's server: its idle connections go with it.
        Npgsql.NpgsqlConnection.ClearAllPools();
        SqliteConnection.ClearAllPools();
        File.Delete(_databasePath);
    }

    // The test's hold control travels in a header: headers are not part of the request's fingerprint.
    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string key, string item, string? hold = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/order") { Content = JsonContent.Create(new { item }) };
        if (hold is not null)
        {
            request.Headers.Add("X-Test-Hold", hold);
        }

        request.Headers.TryAddWithoutValidation("Idempotency-Key", $"\"{key}\"");
        request.Headers.Add("AbortLab-Tag", key);
        return http.SendAsync(request);
    }

    private static string FingerprintOf(string item) =>
        IdempotencyMiddleware.FingerprintOf("POST", "/order", System.Text.Encoding.UTF8.GetBytes($"{{\"item\":\"{item}\"}}"));

    private static Task<HttpResponseMessage> PostBodyAsync(HttpClient http, string key, string item)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/order") { Content = new StringContent($"{{\"item\":\"{item}\"}}", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", $"\"{key}\"");
        return http.SendAsync(request);
    }

    private static string RawPost(string key, string item, string hold)
    {
        var body = JsonSerializer.Serialize(new { item });
        return $"POST /order HTTP/1.1\r\nHost: test\r\nIdempotency-Key: \"{key}\"\r\nAbortLab-Tag: {key}\r\nX-Test-Hold: {hold}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}";
    }

    private async Task<KestrelTestHost> StartAsync(Store store, TimeProvider? time = null)
    {
        var postgresDatabase = store == Store.Postgres ? await postgres.CreateDatabaseAsync() : null;
        return await StartAsync(store, time, postgresDatabase);
    }

    private Task<KestrelTestHost> StartAsync(Store store, TimeProvider? time, string? postgresDatabase) => KestrelTestHost.StartAsync(
        app =>
        {
            app.UseAbortLab();
            app.UseRouting();
            app.UseIdempotency();
            app.MapPost("/order", async (HttpContext context) =>
            {
                var hold = context.Request.Headers["X-Test-Hold"].ToString();
                var holdBeforeCommit = hold == "before";
                var holdAfterCommit = hold == "after";
                var scope = context.GetAbortScope();
                var order = await context.Request.ReadFromJsonAsync<JsonElement>(scope.Token);
                if (hold == "unavailable")
                {
                    return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Database unavailable");
                }

                if (holdBeforeCommit)
                {
                    _beforeCommit.Set();
                    await _releaseBeforeCommit.WaitAsync().WaitAsync(scope.Token);
                }

                var number = Interlocked.Increment(ref _sideEffects);
                context.Features.Get<IIdempotencyFeature>()!.MarkCommitted();
                if (hold == "fail-after-commit")
                {
                    return Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Receipt not printed");
                }

                if (holdAfterCommit)
                {
                    // Committed: whatever happens to the client now, the response is produced and kept.
                    _afterCommit.Set();
                    await _releaseAfterCommit.WaitAsync();
                }

                return Results.Json(new { order = number, item = order.GetProperty("item").GetString() }, statusCode: StatusCodes.Status201Created);
            }).WithIdempotency();
        },
        configureServices: services =>
        {
            if (time is not null)
            {
                services.AddSingleton(time);
            }

            services.AddSingleton<IIdempotencyStore>(provider => new RenewalSignalingStore(store switch
            {
                Store.Sqlite => new SqliteIdempotencyStore(() => new SqliteConnection($"Data Source={_databasePath}"), provider.GetRequiredService<TimeProvider>()),
                Store.Postgres => new PostgresIdempotencyStore(() => new Npgsql.NpgsqlConnection(postgresDatabase), provider.GetRequiredService<TimeProvider>()),
                _ => new InMemoryIdempotencyStore(provider.GetRequiredService<TimeProvider>()),
            }));

            services.AddIdempotency(options =>
            {
                options.Expiry = TimeSpan.FromSeconds(10);
                options.Lease = TimeSpan.FromSeconds(2);
            });
        });
}

/// <summary>A store that tells the test each time a lease renewal has been written.</summary>
internal sealed class RenewalSignalingStore(IIdempotencyStore inner) : IIdempotencyStore
{
    private readonly object _gate = new();
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private int _renewals;

    public async Task WaitForRenewalsAsync(int count)
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            if (_renewals >= count)
            {
                return;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
        }

        await done.Task.WaitAsync(KestrelTestHost.WaitTimeout);
    }

    public ValueTask<IdempotencyClaim> ClaimAsync(string key, string fingerprint, string owner, TimeSpan expiry, TimeSpan lease, CancellationToken cancellationToken) =>
        inner.ClaimAsync(key, fingerprint, owner, expiry, lease, cancellationToken);

    public async ValueTask<bool> RenewAsync(string key, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var renewed = await inner.RenewAsync(key, owner, lease, cancellationToken);
        lock (_gate)
        {
            _renewals++;
            foreach (var waiter in _waiters.Where(w => w.Count <= _renewals).ToList())
            {
                waiter.Done.TrySetResult();
                _waiters.Remove(waiter);
            }
        }

        return renewed;
    }

    public ValueTask MarkCommittedAsync(string key, string owner, CancellationToken cancellationToken) => inner.MarkCommittedAsync(key, owner, cancellationToken);

    public ValueTask CompleteAsync(string key, string owner, StoredResponse response, CancellationToken cancellationToken) => inner.CompleteAsync(key, owner, response, cancellationToken);

    public ValueTask ReleaseAsync(string key, string owner, CancellationToken cancellationToken) => inner.ReleaseAsync(key, owner, cancellationToken);

    public ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken) => inner.PurgeExpiredAsync(cancellationToken);
}
