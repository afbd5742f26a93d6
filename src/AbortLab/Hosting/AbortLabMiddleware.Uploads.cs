using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AbortLab;

internal sealed partial class AbortLabMiddleware
{
    private readonly record struct WatchedUpload(PendingUpload Pending, ReadAheadRequestBody Body, Stream OriginalBody);

    private WatchedUpload? WatchUpload(HttpContext context, AbortScope scope, IHttpRequestLifetimeFeature serverLifetime, ConnectionTracker? connection, StalledUploadOptions options)
    {
        // HTTP/2 keeps reading the connection whatever a stream's window is, so only HTTP/1.x hides an abort.
        if (connection is not { IsHttp1: true } || (!options.ProbeEnabled && !options.ReadAheadEnabled) || !HasPendingBody(context))
        {
            return null;
        }

        var features = context.Features;
        var bodyControl = features.Get<IHttpBodyControlFeature>();
        var originalBody = context.Request.Body;
        var body = new ReadAheadRequestBody(
            originalBody,
            options,
            () => bodyControl?.AllowSynchronousIO == true,
            exception => OnReadAheadFailed(scope, exception),
            scope.Token);
        context.Request.Body = body;

        var socket = options.ProbeEnabled ? features.Get<IConnectionSocketFeature>()?.Socket : null;
        var pending = new PendingUpload(scope, body, socket, serverLifetime, _scopes.Logger);
        _uploads.Watch(pending, options.ProbeInterval);
        return new WatchedUpload(pending, body, originalBody);
    }

    private async ValueTask EndUploadAsync(HttpContext context, WatchedUpload upload)
    {
        upload.Pending.End();
        _uploads.Unwatch(upload.Pending);
        context.Request.Body = upload.OriginalBody;
        await upload.Body.ReleaseAsync();
    }

    private static bool HasPendingBody(HttpContext context)
    {
        var features = context.Features;
        return features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
            && features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest != true;
    }

    // The connection ended under the pump: the client is gone even if the server has not said so yet.
    private static void OnReadAheadFailed(AbortScope scope, Exception exception) =>
        scope.AttributeToClientDeparture(exception, AbortDetection.ReadAhead);
}
