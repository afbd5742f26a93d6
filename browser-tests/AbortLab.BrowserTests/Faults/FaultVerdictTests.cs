using AbortLab.Playwright;
using Xunit.Abstractions;

namespace AbortLab.BrowserTests.Faults;

/// <summary>
/// Abort bugs the app does not tell AbortLab about, each caught by the rig from what the process really did, and the
/// correct twin of each passing.
/// </summary>
[Collection(BrowserLabCollection.Name)]
public sealed class FaultVerdictTests(FaultyShopFixture fixture, ITestOutputHelper output) : IClassFixture<FaultyShopFixture>
{
    public static TheoryData<string, AbortKind, string> Faults() => new()
    {
        { "fire-and-forget", AbortKind.FetchBeforeResponse, "work the app did not register is still running" },
        { "wait-async", AbortKind.FetchBeforeResponse, "work the app did not register is still running" },
        { "child-process", AbortKind.FetchBeforeResponse, "child process 'sleep'" },
        { "log-error", AbortKind.FetchBeforeResponse, "the abort was logged as an error: hop 'shop' logged Error from 'AbortLab.BrowserTests.Faults.FaultyShop' with TaskCanceledException" },
        { "exception-logger", AbortKind.FetchBeforeResponse, "the abort was logged as an error: hop 'shop' logged Error from 'Shop.Errors' with TaskCanceledException" },
        { "status-logger", AbortKind.FetchBeforeResponse, "the abort was logged as an error: hop 'shop' logged Error from 'Shop.RequestLog'" },
        { "swallow-then-save", AbortKind.FetchBeforeResponse, "hop 'shop' wrote after its client left: db INSERT (Microsoft.EntityFrameworkCore)" },
        { "leaky-relay", AbortKind.FetchMidBody, "hop 'warehouse' never saw the abort" },
        { "detached-awaited", AbortKind.FetchBeforeResponse, "detached work 'background report' queued by the aborted request on hop 'shop' is still running" },

        // Work that leaves the request: written without sight of the rig's sensors, each carrying the request's context.
        { "report-thread", AbortKind.FetchBeforeResponse, "a new thread on thread 'report-writer' (still running" },
        { "poll-timer", AbortKind.FetchBeforeResponse, "by FaultyShop.StartPolling (lambda)" },
        { "async-void", AbortKind.FetchBeforeResponse, "by FaultyShop.PingForAWhileAsync" },
        { "completion-callback", AbortKind.FetchBeforeResponse, "a response-completion callback" },
        { "late-save", AbortKind.FetchBeforeResponse, "hop 'shop' wrote after its client left: db INSERT (Microsoft.EntityFrameworkCore) started" },
        { "bursty-cpu", AbortKind.FetchBeforeResponse, "code of the request on hop 'shop'" },
        { "raw-socket", AbortKind.FetchBeforeResponse, "code of the request on hop 'shop'" },

        // Work that does not carry the request's context: the shop's own queue into its own background service.
        // A worker that computes steadily may be caught by either CPU rule; both name the fix for a queue.
        { "queued-report", AbortKind.FetchBeforeResponse, "for a queue, hand the item the request's scope (AbortScope.Current)" },
    };

    // Saved two seconds after the abort, after the verdict was first given: the rig's sweep sees it.
    private static bool LandsLate(string fault) => fault == "late-save";

    private static bool SavesAnOrder(string fault) => fault is "swallow-then-save" or "late-save";

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Fault_FailsItsVerdict_NamingWhatRan(string fault, AbortKind kind, string expected)
    {
        var item = $"fault-{Guid.NewGuid():N}";
        try
        {
            var verdict = await fixture.Rig.FireAsync(Request(kind, $"/fault/{fault}", item));
            if (LandsLate(fault))
            {
                // On a loaded machine the rig's second read may already come after the write; else only the sweep sees it.
                var passedWhenGiven = verdict.Passed;
                var late = await fixture.Rig.SweepAsync();
                Assert.Equal(passedWhenGiven, late.Contains(verdict));
            }

            output.WriteLine(verdict.ToString());

            Assert.False(verdict.Passed);
            Assert.Contains(verdict.Failures, f => f.Contains(expected, StringComparison.Ordinal));
            if (SavesAnOrder(fault))
            {
                // The truth beside the verdict: the order was saved after the client had left.
                Assert.Equal(1, await fixture.Shop.CountOrdersAsync(item));
            }
        }
        finally
        {
            await fixture.Shop.Leftovers.StopAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Twin_Passes(string fault, AbortKind kind, string expected)
    {
        _ = expected;
        var item = $"twin-{Guid.NewGuid():N}";
        try
        {
            var verdict = await fixture.Rig.FireAsync(Request(kind, $"/twin/{fault}", item));
            if (LandsLate(fault))
            {
                Assert.DoesNotContain(verdict, await fixture.Rig.SweepAsync());
            }

            output.WriteLine(verdict.ToString());

            verdict.EnsurePassed();
            if (SavesAnOrder(fault))
            {
                Assert.Equal(0, await fixture.Shop.CountOrdersAsync(item));
            }
        }
        finally
        {
            await fixture.Shop.Leftovers.StopAsync();
        }
    }

    [Fact]
    public async Task EndpointThatTracksNothing_PassesOnItsPipeline()
    {
        var verdict = await fixture.Rig.FireAsync(new AbortRequest(AbortKind.XhrBeforeHeaders, "/twin/untracked"));
        output.WriteLine(verdict.ToString());

        verdict.EnsurePassed();
        Assert.All(verdict.Timelines, t => Assert.Empty(t.Work));
        Assert.NotNull(verdict.QuietCpuCores);
    }

    private static AbortRequest Request(AbortKind kind, string path, string item) => path.EndsWith("save", StringComparison.Ordinal)
        ? new AbortRequest(kind, $"{path}?item={item}") { Method = "POST", Headers = new Dictionary<string, string> { ["X-Shop-Client"] = "rig" } }
        : new AbortRequest(kind, path);
}
