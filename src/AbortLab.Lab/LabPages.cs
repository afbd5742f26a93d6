using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AbortLab.Lab;

/// <summary>
/// The lab page (a button per scenario and abort kind), embedded from the repository's top-level <c>wwwroot/lab</c>.
/// </summary>
internal static class LabPages
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    };

    public static void Map(WebApplication app)
    {
        app.MapGet("/", (Func<HttpContext, Task<IResult>>)(context => ServeAsync(context, "index.html")));
        app.MapGet("/lab-assets/{file}", (HttpContext context, string file) => ServeAsync(context, file));
    }

    private static async Task<IResult> ServeAsync(HttpContext context, string file)
    {
        if (file.Contains("..", StringComparison.Ordinal) || !ContentTypes.TryGetValue(Path.GetExtension(file), out var contentType))
        {
            return Results.NotFound();
        }

        await using var resource = typeof(LabPages).Assembly.GetManifestResourceStream("AbortLab.Lab/" + file);
        if (resource is null)
        {
            return Results.NotFound();
        }

        var bytes = new byte[resource.Length];
        await resource.ReadExactlyAsync(bytes, context.RequestAborted);
        return Results.Bytes(bytes, contentType);
    }
}
