using System.Diagnostics;
using AbortLab.Connections;
using AbortLab.Diagnostics;
using AbortLab.Integration;
using AbortLab.Sensors;
using AbortLab.Shutdown;
using AbortLab.Uploads;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.Logging;

namespace AbortLab.Hosting;

/// <summary>
/// Gives every request an <see cref="AbortScope"/>, hands its token on as <c>HttpContext.RequestAborted</c>, watches
/// pending uploads, answers for the exceptions its aborts cause, and records the request's timeline.
/// </summary>
internal sealed partial class AbortLabMiddleware
{
    private readonly RequestDelegate _next;
    private readonly AbortScopeFactory _scopes;
    private readonly ConnectionRegistry _connections;
    private readonly StalledUploadMonitor _uploads;
    private readonly DrainGate _drain;
    private readonly CurrentAbortLabOptions _options;
    private readonly HopName _hop;
    private readonly ILogger _logger;
    private readonly IAbortLabIntegration[] _integrations;
    private readonly DiagnosticsPaths _diagnosticsPaths;
    private ExcludedPathSet _excluded = ExcludedPathSet.None;

    public AbortLabMiddleware(
        RequestDelegate next,
        AbortScopeFactory scopes,
        ConnectionRegistry connections,
        StalledUploadMonitor uploads,
        DrainGate drain,
        CurrentAbortLabOptions options,
        HopName hop,
        IEnumerable<IAbortLabIntegration> integrations,
        DiagnosticsPaths diagnosticsPaths,
        ILogger<AbortLabMiddleware> logger)
    {
        _diagnosticsPaths = diagnosticsPaths;
        _integrations = integrations.ToArray();
        _next = next;
        _scopes = scopes;
        _connections = connections;
        _uploads = uploads;
        _drain = drain;
        _options = options;
        _hop = hop;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        // A second UseAbortLab in the same pipeline (or a branch) runs under the first one's scope.
        if (context.Features.Find<IAbortScopeFeature>() is not null)
        {
            return _next(context);
        }

        var path = context.Request.Path;
        if (_diagnosticsPaths.Contains(path) || IsExcluded(path))
        {
            return _next(context);
        }

        if (_drain.IsDraining)
        {
            return RefuseWhileDraining(context);
        }

        return InvokeCoreAsync(context);
    }

    private bool IsExcluded(PathString path)
    {
        var options = _options.Value;
        var excluded = _excluded;
        if (!ReferenceEquals(excluded.Source, options))
        {
            excluded = ExcludedPathSet.From(options);
            _excluded = excluded;
        }

        return excluded.Matches(path);
    }

    private async Task InvokeCoreAsync(HttpContext context)
    {
        var options = _options.Value;
        var features = context.Features;

        // Every server sets a lifetime feature; a bare DefaultHttpContext has none (and no connection to abort).
        // Not read through context.RequestAborted, which would make one for it.
        var serverLifetime = features.Find<IHttpRequestLifetimeFeature>();
        var upstreamToken = serverLifetime?.RequestAborted ?? default;
        var outerTimeout = features.Find<IHttpRequestTimeoutFeature>();
        var activity = features.Find<IHttpActivityFeature>()?.Activity ?? Activity.Current;
        var connection = _connections.GetOrCreate(context, out var connectionLifetime);

        var scope = _scopes.Create(Describe(context, options, activity, connection), activity, connection, context, serverLifetime);
        connection?.OnRequestStarted(scope);

        var isUpgradeRequest = features.Find<IHttpUpgradeFeature>()?.IsUpgradableRequest == true;
        scope.IsUpgradeRequest = isUpgradeRequest;
        var scopeFeature = new AbortScopeRequestFeature(scope, serverLifetime, features, connectionLifetime, outerTimeout, _integrations, upstreamToken);
        scope.ClientDeparture = scopeFeature;
        features.Put<IAbortScopeFeature>(scopeFeature);
        features.Put<IHttpRequestLifetimeFeature>(scopeFeature);
        scopeFeature.LinkUpstream(upstreamToken);
        AbortScope.SetCurrent(scope);
        var followedResponse = Follow(features, scope.Timeline, options);

        var upload = _uploads.Begin(context, scope, serverLifetime, connection is { IsHttp1: true }, isUpgradeRequest);
        var timeoutLeftToOuterMiddleware = false;
        var statusLeftToOuterMiddleware = false;
        try
        {
            await _next(context);
        }
        catch (Exception exception) when (AttachForLogsAfterPipeline(activity, scope, exception))
        {
            // Never taken: the filter only attaches the timeline before the exception goes on.
            throw;
        }
        catch (Exception exception) when (AbortExceptions.IsCausedByAbort(exception))
        {
            // Only an abort, or what the connection proves, is ours to answer for; any other cancellation is not.
            if (!scope.AttributeToClientDeparture(exception))
            {
                statusLeftToOuterMiddleware = true;
                throw;
            }

            if (scope.Reason == AbortReason.Timeout && outerTimeout is not null && !context.Response.HasStarted)
            {
                // The Request Timeouts middleware around us answers with its policy's status.
                timeoutLeftToOuterMiddleware = true;
                statusLeftToOuterMiddleware = true;
                throw;
            }

            AnswerAbort(context, scope, serverLifetime, options, exception);
        }
        catch
        {
            // An exception handler around us (or Kestrel's 500) writes the status: the timeline takes the one written.
            statusLeftToOuterMiddleware = true;
            throw;
        }
        finally
        {
            if (scope.IsAborted)
            {
                AttachForLogsAfterPipeline(activity, scope);
            }

            scopeFeature.Dispose();
            features.Put(serverLifetime);
            if (followedResponse is not null)
            {
                features.Put(followedResponse.Inner);
            }

            try
            {
                if (upload is not null)
                {
                    _uploads.End(context, upload.Value);
                }

                foreach (var integration in _integrations)
                {
                    integration.OnPipelineEnded(context, scope);
                }
            }
            finally
            {
                // Whatever failed above, the request ends here: a scope never completed keeps its request forever.
                Complete(context, scope, connection, options, timeoutLeftToOuterMiddleware, statusLeftToOuterMiddleware && !context.Response.HasStarted);
            }

            if (upload is not null)
            {
                await StalledUploadMonitor.ReleaseAsync(upload.Value);
            }
        }
    }

    // A tagged request (the rig's) is followed wherever its code goes, its completion callbacks included.
    private static FollowedResponseFeature? Follow(IFeatureCollection features, LiveTimeline timeline, AbortLabOptions options)
    {
        if (timeline.Tag is null || !options.Sensors.FollowCodeAfterAbort || features.Find<IHttpResponseFeature>() is not { } response)
        {
            return null;
        }

        RequestCodeFollower.Follow(timeline);
        var followed = new FollowedResponseFeature(response, timeline);
        features.Put<IHttpResponseFeature>(followed);
        return followed;
    }

    // What is logged once the pipeline returned (Kestrel's unhandled exception, a logging middleware in front of ours)
    // finds its timeline through the exception or the request's Activity, no longer through AbortScope.Current. Only
    // a request that failed or was aborted gets it: the Activity's property bag costs a dictionary, and nothing else
    // needs it. The exception carries it even where hosting made no Activity (its category filtered off).
    private static bool AttachForLogsAfterPipeline(Activity? activity, AbortScope scope, Exception? exception = null)
    {
        RequestTimelineLocator.Attach(activity, scope.Timeline);
        if (exception is not null)
        {
            // A failed request is always recorded, whatever the recording budget.
            scope.Timeline.EnsureRecorded();
            RequestTimelineLocator.Attach(exception, scope.Timeline);
        }

        return false;
    }

    private Task RefuseWhileDraining(HttpContext context)
    {
        _drain.CountRefused();
        var response = context.Response;
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = ((long)_options.Value.Shutdown.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            response.Headers.Connection = "close";
            context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
        }

        return Task.CompletedTask;
    }

    private void AnswerAbort(HttpContext context, AbortScope scope, IHttpRequestLifetimeFeature? serverLifetime, AbortLabOptions options, Exception exception)
    {
        var reason = scope.Reason!.Value;
        var statusCode = options.StatusCodeFor(reason);
        HostingLog.AbortExceptionHandled(_logger, scope.TimelineId, exception.GetType().Name, reason, statusCode, exception);

        if (!context.Response.HasStarted)
        {
            context.Response.Clear();
            context.Response.StatusCode = statusCode;
        }
        else
        {
            // A response cut short must not end like a complete one (a final chunk would say it was complete).
            serverLifetime?.Abort();
        }
    }

    private void Complete(HttpContext context, AbortScope scope, ConnectionTracker? connection, AbortLabOptions options, bool timeoutLeftToOuterMiddleware, bool statusLeftToOuterMiddleware)
    {
        var timeline = scope.Timeline;
        // A departed client saw no response: its timeline records the status its abort maps to. An exception left to
        // the middleware around us records 500 (what Kestrel answers when nobody handles it) until the response ends.
        var statusCode = scope.Reason == AbortReason.ClientDisconnected || timeoutLeftToOuterMiddleware
            ? options.StatusCodeFor(scope.Reason!.Value)
            : statusLeftToOuterMiddleware ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
        scope.Complete(statusCode);

        if (statusLeftToOuterMiddleware && scope.Reason != AbortReason.ClientDisconnected)
        {
            context.Response.OnCompleted(static state =>
            {
                var (timeline, response) = ((LiveTimeline, HttpResponse))state;
                timeline.CorrectStatusCode(response.StatusCode);
                return Task.CompletedTask;
            }, (timeline, context.Response));
        }

        connection?.OnRequestEnded(scope, options.ConnectionLingerTimeout);
        _scopes.Release(scope);
    }
}
