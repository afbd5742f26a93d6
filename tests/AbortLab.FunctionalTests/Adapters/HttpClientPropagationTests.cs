using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AbortLab.FunctionalTests.Adapters;

public sealed class HttpClientPropagationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientAbortAtTheApp_StopsTheBackendsWork_ThroughACallMadeWithoutAToken(bool backendSendsHeadersFirst)
    {
        var backendStarted = new Signal<string>();
        await using var backend = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            if (backendSendsHeadersFirst)
            {
                // The call's SendAsync then returns at once; the abort must reach the body read that follows.
                app.Use(async (context, next) =>
                {
                    await context.Response.StartAsync();
                    await context.Response.Body.FlushAsync();
                    await next(context);
                });
            }

            app.MapWaitUntilAborted("/slow", backendStarted);
        });

        var appStarted = new Signal<string>();
        await using var front = await KestrelTestHost.StartAsync(
            app =>
            {
                app.UseAbortLab();
                app.MapGet("/downstream", async (HttpContext context, IHttpClientFactory clients) =>
                {
                    appStarted.Set(context.GetAbortScope().RequestId);

                    // No token passed: the handler links the scope's.
                    return await clients.CreateClient("backend").GetStringAsync("/slow");
                });
            },
            configureServices: services => services
                .AddHttpClient("backend", client => client.BaseAddress = backend.BaseAddress)
                .AddAbortPropagation());

        using var client = await RawHttpConnection.ConnectAsync(front.Port);
        await client.SendAsync("GET /downstream HTTP/1.1\r\nHost: test\r\n\r\n");
        var appId = await appStarted.WaitAsync();
        var backendId = await backendStarted.WaitAsync();
        client.CloseWithFin();

        var backendTimeline = await backend.WaitForTimelineAsync(t => t.Id == backendId && t.CompletedAt is not null);
        var appTimeline = await front.WaitForTimelineAsync(t => t.Id == appId && t.CompletedAt is not null);

        Assert.Equal(AbortReason.ClientDisconnected, appTimeline.AbortReason);
        Assert.Equal(499, appTimeline.StatusCode);
        var call = Assert.Single(appTimeline.Work);
        Assert.Equal(WorkOutcome.Canceled, call.Outcome);
        Assert.Equal($"http GET {backend.BaseAddress}slow", call.Name);

        Assert.Equal(AbortReason.ClientDisconnected, backendTimeline.AbortReason);
        Assert.Equal(WorkOutcome.Canceled, backendTimeline.Work.Single().Outcome);
        Assert.True(backendTimeline.AbortedAt >= appTimeline.AbortedAt);
        Assert.Equal(appTimeline.TraceId, backendTimeline.TraceId);
    }

    [Fact]
    public async Task CallOutsideAnyRequest_GoesThroughUntouched()
    {
        await using var backend = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapGet("/ok", (HttpContext context) => context.Request.Headers.TraceParent.ToString());
        });
        var services = new ServiceCollection();
        services.AddHttpClient("backend", client => client.BaseAddress = backend.BaseAddress).AddAbortPropagation();
        await using var provider = services.BuildServiceProvider();

        var traceParent = await provider.GetRequiredService<IHttpClientFactory>().CreateClient("backend").GetStringAsync("/ok");

        Assert.Equal(string.Empty, traceParent);
    }
}
