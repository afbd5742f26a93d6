using System.Diagnostics;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AbortLab;

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
    private readonly IOptionsMonitor<AbortLabOptions> _options;
    private readonly string _defaultHop;
    private readonly IAbortLabIntegration[] _integrations;
    private readonly DiagnosticsPaths _diagnosticsPaths;

    public AbortLabMiddleware(
        RequestDelegate next,
        AbortScopeFactory scopes,
        ConnectionRegistry connections,
        StalledUploadMonitor uploads,
        IOptionsMonitor<AbortLabOptions> options,
        IEnumerable<IAbortLabIntegration> integrations,
        DiagnosticsPaths diagnosticsPaths,
        IHostEnvironment? environment = null)
    {
        _diagnosticsPaths = diagnosticsPaths;
        _integrations = integrations.ToArray();
        _next = next;
        _scopes = scopes;
        _connections = connections;
        _uploads = uploads;
        _options = options;
        _defaultHop = string.IsNullOrEmpty(environment?.ApplicationName) ? "app" : environment.ApplicationName;
        if (options.CurrentValue.Sensors.RecordOperationsAfterAbort)
        {
            OperationAfterAbortSensor.EnsureStarted();
        }
    }

    public Task InvokeAsync(HttpContext context)
    {
        // A second UseAbortLab in the same pipeline (or a branch) runs under the first one's scope.
        if (context.Features.Get<IAbortScopeFeature>() is not null || _diagnosticsPaths.Contains(context.Request.Path))
        {
            return _next(context);
        }

        if (_scopes.IsDraining)
        {
            return RefuseWhileDraining(context);
        }

        return InvokeCoreAsync(context);
    }

    private async Task InvokeCoreAsync(HttpContext context)
    {
        var options = _options.CurrentValue;
        var features = context.Features;

        // Reading RequestAborted first makes a bare DefaultHttpContext create its lifetime feature.
        var upstreamToken = context.RequestAborted;
        var serverLifetime = features.Get<IHttpRequestLifetimeFeature>()!;
        var outerTimeout = features.Get<IHttpRequestTimeoutFeature>();
        var activity = features.Get<IHttpActivityFeature>()?.Activity ?? Activity.Current;
        var connection = _connections.GetOrCreate(context);

        var scope = _scopes.Create(Describe(context, options, activity, connection), activity, connection);
        connection?.OnRequestStarted(scope.Timeline);
        RequestTimelineLocator.Attach(activity, scope.Timeline);

        scope.ClientDeparture = new ClientDeparture(features, upstreamToken);
        scope.AttachRequest(context, serverLifetime);
        scope.IsUpgradeRequest = features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true;
        var scopeFeature = new AbortScopeRequestFeature(scope, serverLifetime, features, outerTimeout, _integrations);
        features.Set<IAbortScopeFeature>(scopeFeature);
        features.Set<IHttpRequestLifetimeFeature>(scopeFeature);
        scopeFeature.LinkUpstream(upstreamToken);
        AbortScope.SetCurrent(scope);

        var upload = WatchUpload(context, scope, serverLifetime, connection, options.StalledUploads);
        var timeoutLeftToOuterMiddleware = false;
        try
        {
            await _next(context);
        }
        catch (Exception exception) when (AbortExceptions.IsCausedByAbort(exception))
        {
            // Only an abort, or what the connection proves, is ours to answer for; any other cancellation is not.
            if (!scope.AttributeToClientDeparture(exception))
            {
                throw;
            }

            if (scope.Reason == AbortReason.Timeout && outerTimeout is not null && !context.Response.HasStarted)
            {
                // The Request Timeouts middleware around us answers with its policy's status.
                timeoutLeftToOuterMiddleware = true;
                throw;
            }

            AnswerAbort(context, scope, serverLifetime, options, exception);
        }
        finally
        {
            scopeFeature.Dispose();
            scope.ClientDeparture.RequestEnded();
            scope.DetachRequest();
            features.Set(serverLifetime);
            if (upload is not null)
            {
                await EndUploadAsync(context, upload.Value);
            }

            foreach (var integration in _integrations)
            {
                integration.OnPipelineEnded(context, scope, options);
            }

            Complete(context, scope, options, timeoutLeftToOuterMiddleware);
        }
    }

    private Task RefuseWhileDraining(HttpContext context)
    {
        _scopes.CountRefused();
        var response = context.Response;
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = ((long)_options.CurrentValue.Shutdown.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            response.Headers.Connection = "close";
            context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
        }

        return Task.CompletedTask;
    }

    private void AnswerAbort(HttpContext context, AbortScope scope, IHttpRequestLifetimeFeature serverLifetime, AbortLabOptions options, Exception exception)
    {
        var reason = scope.Reason!.Value;
        var statusCode = options.StatusCodeFor(reason);
        AbortLabLog.AbortExceptionHandled(_scopes.Logger, scope.RequestId, exception.GetType().Name, reason, statusCode, exception);

        if (!context.Response.HasStarted)
        {
            context.Response.Clear();
            context.Response.StatusCode = statusCode;
        }
        else
        {
            // A response cut short must not end like a complete one (a final chunk would say it was complete).
            serverLifetime.Abort();
        }
    }

    private void Complete(HttpContext context, AbortScope scope, AbortLabOptions options, bool timeoutLeftToOuterMiddleware)
    {
        var timeline = scope.Timeline;
        var statusCode = scope.Reason == AbortReason.ClientDisconnected
            ? options.ClientDisconnectedStatusCode
            : timeoutLeftToOuterMiddleware ? options.TimeoutStatusCode : context.Response.StatusCode;
        timeline.MarkCompleted(statusCode);

        if (timeoutLeftToOuterMiddleware)
        {
            context.Response.OnCompleted(static state =>
            {
                var (timeline, response) = ((LiveTimeline, HttpResponse))state;
                timeline.CorrectStatusCode(response.StatusCode);
                return Task.CompletedTask;
            }, (timeline, context.Response));
        }

        scope.Connection?.OnRequestEnded(scope, options.ConnectionLingerTimeout);
        _scopes.Release(scope);
    }
}
