using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AbortLab.FunctionalTests.Sensors;

public sealed class LogSensorTests
{
    // AbortLab's log sensor alone must not make hosting start an Activity and a log scope for every request, and the
    // error Kestrel logs after the pipeline must still reach the failed request's timeline (through its exception).
    [Fact]
    public async Task UnhandledException_WithTheSensorTheOnlyLogger_IsRecordedOnItsTimeline_AndHostingMadeNoActivity()
    {
        var hadActivity = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await KestrelTestHost.StartAsync(
            app =>
            {
                app.UseAbortLab();
                app.MapGet("/fail", (HttpContext context) =>
                {
                    hadActivity.TrySetResult(context.Features.Get<IHttpActivityFeature>() is not null);
                    throw new InvalidOperationException("The endpoint failed.");
                });
            },
            fakeLogging: false);
        using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = KestrelTestHost.WaitTimeout };

        using var response = await client.GetAsync(new Uri("/fail", UriKind.Relative));

        Assert.Equal(StatusCodes.Status500InternalServerError, (int)response.StatusCode);
        Assert.False(await hadActivity.Task.WaitAsync(KestrelTestHost.WaitTimeout));
        var timeline = await host.WaitForTimelineAsync(t => t.Path == "/fail" && t.Logs.Count > 0);
        var log = Assert.Single(timeline.Logs);
        Assert.Equal(LogLevel.Error, log.Level);
        Assert.StartsWith("Microsoft.AspNetCore.Server.Kestrel", log.Category, StringComparison.Ordinal);
        Assert.Equal(nameof(InvalidOperationException), log.Exception);
    }
}
