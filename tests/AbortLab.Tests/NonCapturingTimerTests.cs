namespace AbortLab.Tests;

public sealed class NonCapturingTimerTests
{
    private static readonly AsyncLocal<string?> Request = new();

    [Fact]
    public async Task Timer_MadeWhileARequestRuns_DoesNotCarryItsContext()
    {
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        ITimer? timer = null;
        await Task.Run(() =>
        {
            Request.Value = "request";
            timer = NonCapturingTimer.Create(TimeProvider.System, _ => seen.TrySetResult(Request.Value), null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        });

        Assert.Null(await seen.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        await timer!.DisposeAsync();
    }

    [Fact]
    public async Task Loop_StartedWhileARequestRuns_DoesNotCarryItsContext()
    {
        string? seen = "unset";
        await Task.Run(async () =>
        {
            Request.Value = "request";
            await NonCapturingTimer.Run(() =>
            {
                seen = Request.Value;
                return Task.CompletedTask;
            });

            // The caller's own context is untouched.
            Assert.Equal("request", Request.Value);
        });

        Assert.Null(seen);
    }
}
