using System.Diagnostics;
using AbortLab.Processes;

namespace AbortLab.Tests.Processes;

public sealed class ProcessCommandChannelTests
{
    // Answers every command with three lines, slowly, then the terminator: slow enough for answers to overlap if the
    // channel let them.
    private static ProcessCommandChannel StartServer() => ProcessCommandChannel.Start(
        new ProcessStartInfo("/bin/sh", ["-c", "while IFS= read -r cmd; do for i in 1 2 3; do echo \"$cmd-$i\"; sleep 0.02; done; echo '<<END>>'; done"]),
        "<<END>>");

    [Fact]
    public async Task ConcurrentCallers_EachGetTheirOwnWholeAnswer()
    {
        await using var channel = StartServer();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => channel.SendAsync($"c{i}", timeout.Token)));

        for (var i = 0; i < answers.Length; i++)
        {
            Assert.Equal($"c{i}-1\nc{i}-2\nc{i}-3\n", answers[i]);
        }
    }

    [Fact]
    public async Task CallerAbortedMidAnswer_LeavesAtOnce_AndTheNextAnswerIsClean()
    {
        await using var channel = StartServer();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);

        var first = channel.StreamAsync("slow", aborted.Token).GetAsyncEnumerator(aborted.Token);
        Assert.True(await first.MoveNextAsync());
        Assert.Equal("slow-1", first.Current);

        // Queued behind the answer that is streaming now.
        var next = channel.SendAsync("next", timeout.Token);
        await aborted.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await first.MoveNextAsync());
        await first.DisposeAsync();

        Assert.Equal("next-1\nnext-2\nnext-3\n", await next);
        Assert.Equal("after-1\nafter-2\nafter-3\n", await channel.SendAsync("after", timeout.Token));
    }

    [Fact]
    public async Task CallerAbortedWhileQueued_IsNeverSent()
    {
        await using var channel = StartServer();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var aborted = new CancellationTokenSource();

        var busy = channel.SendAsync("busy", timeout.Token);
        var queued = channel.SendAsync("never", aborted.Token);
        await aborted.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.Equal("busy-1\nbusy-2\nbusy-3\n", await busy);

        // Had "never" been written, its answer would come next and shift every later one.
        Assert.Equal("x-1\nx-2\nx-3\n", await channel.SendAsync("x", timeout.Token));
    }

    [Fact]
    public async Task ProcessThatExits_FailsTheCallersWithAClearError()
    {
        await using var channel = ProcessCommandChannel.Start(new ProcessStartInfo("/bin/sh", ["-c", "read -r cmd; echo half"]), "<<END>>");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => channel.SendAsync("go", timeout.Token));

        Assert.Contains("output", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => channel.SendAsync("again", timeout.Token));
    }

    [Fact]
    public async Task CommandWithALineBreak_IsRejected()
    {
        await using var channel = StartServer();
        await Assert.ThrowsAsync<ArgumentException>(() => channel.SendAsync("two\nlines"));
    }
}
