using Microsoft.AspNetCore.Http;

namespace AbortLab.Diagnostics;

/// <summary>
/// The dashboard, embedded in this assembly from the repository's top-level <c>wwwroot/dashboard</c>.
/// </summary>
internal static class DashboardFiles
{
    private const string ResourcePrefix = "AbortLab.Dashboard/";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
    };

    public static async Task<IResult> ServeAsync(HttpContext context, string? file)
    {
        var name = string.IsNullOrEmpty(file) ? "index.html" : file;
        if (name.Contains("..", StringComparison.Ordinal) || !ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType))
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound);
        }

        await using var resource = typeof(DashboardFiles).Assembly.GetManifestResourceStream(ResourcePrefix + name);
        if (resource is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound);
        }

        var bytes = new byte[resource.Length];
        await resource.ReadExactlyAsync(bytes, context.RequestAborted);
        context.Response.Headers.CacheControl = "no-cache";
        return Results.Bytes(bytes, contentType);
    }
}
