using AbortLab.Idempotency;
using AbortLab.Snippets;

internal static class ReadmeSnippets
{
    public static async Task UseAsync(string[] args)
    {
        #region readme-use
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddAbortLab();              // or AddAbortLab(o => ...), or AddAbortLab(config.GetSection("AbortLab"))

        var app = builder.Build();
        app.UseAbortLab();                           // early: before routing

        app.MapGet("/report", async (HttpContext context, ReportService reports) =>
        {
            var scope = context.GetAbortScope();     // or AbortScope.Current anywhere below the request
            return await scope.RunAsync("build-report", token => reports.BuildAsync(token));
        });
        #endregion
        await app.RunAsync();
    }

    public static void Core(WebApplicationBuilder builder)
    {
        #region readme-core
        builder.Services.AddAbortLab();
        builder.Services.AddHttpClient("backend").AddAbortPropagation();   // outgoing calls stop with the request

        var app = builder.Build();
        app.UseAbortLab();
        app.MapGet("/report", async (HttpContext context, IHttpClientFactory clients) =>
        {
            var scope = context.GetAbortScope();
            var data = await clients.CreateClient("backend").GetStringAsync("https://backend.example/data");
            return await scope.RunAsync("render", token => RenderAsync(data, token));
        });
        app.MapAbortLab();   // /abortlab/ dashboard and /abortlab/api/*, this machine only unless RequireAuthorization
        #endregion
    }

    public static void Yarp(WebApplicationBuilder builder)
    {
        #region readme-yarp
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddAbortLab();

        var app = builder.Build();
        app.UseAbortLab();
        app.MapReverseProxy();
        #endregion
    }

    public static void Idempotency(WebApplicationBuilder builder)
    {
        #region readme-idempotency
        builder.Services.AddIdempotency();                        // in-memory store; or register a SqliteIdempotencyStore
        var app = builder.Build();
        app.UseIdempotency();
        app.MapPost("/orders", (Order order) => Results.Created($"/orders/{order.Id}", order)).WithIdempotency();
        #endregion
    }

    public static void PlaywrightApp(WebApplicationBuilder builder)
    {
        #region readme-playwright-app
        builder.Services.AddAbortLab();
        var app = builder.Build();
        app.UseAbortLab();
        app.MapAbortLab();   // the diagnostics API the rig reads; loopback clients only
        #endregion
    }

    private static Task<string> RenderAsync(string data, CancellationToken token) => Work.RenderAsync(data, token);
}
