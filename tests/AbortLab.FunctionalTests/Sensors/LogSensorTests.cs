using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AbortLab.FunctionalTests.Sensors;

public sealed class LogSensorTests
{
    // With hosting's own category filtered off (a common way to spare its Activity and log scope per request), no
    // Activity carries the timeline past the pipeline: the error Kestrel logs there must still reach the failed
    // request's timeline, through its exception.
    [Fact]
    public async Task UnhandledException_WithoutAHostingActivity_IsRecordedOnItsTimeline()
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
            configureServices: services => services.Configure<LoggerFilterOptions>(
                filters => filters.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None)),
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
