using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AbortLab.Lab;

/// <summary>
/// The backend failing under a scenario (its connection reset, refused, or cut in the middle of a body) is a bad
/// gateway, not the app's own fault: 502 problem details and one Warning, instead of a 500 and an Error that the edge
/// would pass on as the app's failure. A client abort never gets here: AbortLab ends those before the handler.
/// </summary>
internal sealed partial class UpstreamFailureHandler(IProblemDetailsService problems, ILogger<UpstreamFailureHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (HttpRequestException or HttpIOException) || httpContext.Response.HasStarted)
        {
            return false;
        }

        BackendFailed(logger, httpContext.Request.Path, exception.Message);
        httpContext.Response.StatusCode = StatusCodes.Status502BadGateway;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status502BadGateway,
                Title = "The backend failed",
                Detail = "The backend this scenario calls did not answer properly; try again.",
            },
        });
    }

    [LoggerMessage(EventIds.BackendFailed, LogLevel.Warning, "The backend failed under {Path}: {Failure}", EventName = nameof(EventIds.BackendFailed))]
    private static partial void BackendFailed(ILogger logger, string path, string failure);
}
