using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AbortLab.Testing;

internal static class TestEndpoints
{
    /// <summary>
    /// An endpoint that tells the test its request id, then waits as tracked work "wait" until its scope is aborted.
    /// </summary>
    public static IEndpointConventionBuilder MapWaitUntilAborted(this IEndpointRouteBuilder endpoints, string pattern, Signal<string> started, string method = "GET")
    {
        return endpoints.MapMethods(pattern, [method], async (HttpContext context) =>
        {
            var scope = context.GetAbortScope();
            started.Set(scope.RequestId);
            await scope.RunAsync("wait", token => Task.Delay(Timeout.Infinite, token));
        });
    }
}
