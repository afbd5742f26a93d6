using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;

namespace AbortLab.Hosting;

/// <summary>
/// Stands in for the server's <see cref="IHttpRequestLifetimeFeature"/> while a request runs under a scope, so that
/// <c>HttpContext.RequestAborted</c> is the scope's own token (never recycled) and so that AbortLab sees a Request
/// Timeouts middleware further in link its timeout to that token.
/// </summary>
internal sealed class AbortScopeRequestFeature : IAbortScopeFeature, IHttpRequestLifetimeFeature, IDisposable
{
    private readonly IHttpRequestLifetimeFeature _serverLifetime;
    private readonly IFeatureCollection _features;
    private readonly IHttpRequestTimeoutFeature? _outerTimeout;
    private CancellationToken _requestAborted;
    private CancellationTokenRegistration _upstreamRegistration;
    private CancellationTokenRegistration _innerTimeoutRegistration;
    private IHttpRequestTimeoutFeature? _innerTimeout;
    private readonly IAbortLabIntegration[] _integrations;

    public AbortScopeRequestFeature(AbortScope scope, IHttpRequestLifetimeFeature serverLifetime, IFeatureCollection features, IHttpRequestTimeoutFeature? outerTimeout, IAbortLabIntegration[] integrations)
    {
        _integrations = integrations;
        Scope = scope;
        _serverLifetime = serverLifetime;
        _features = features;
        _outerTimeout = outerTimeout;

        // Inside a Request Timeouts middleware the timeout is ours to pass on; outside it, the middleware further in
        // must find a token the timeout does not cancel (see AbortScope).
        _requestAborted = outerTimeout is null ? scope.RequestAbortedToken : scope.Token;
    }

    public AbortScope Scope { get; }

    public CancellationToken RequestAborted
    {
        get => _requestAborted;
        set
        {
            _requestAborted = value;
            _innerTimeoutRegistration.Dispose();
            _innerTimeoutRegistration = default;

            // The Request Timeouts middleware sets its feature, then a token linked to ours; it restores ours later.
            if (value != Scope.Token && value != Scope.RequestAbortedToken && _features.Get<IHttpRequestTimeoutFeature>() is { } timeout && timeout != _outerTimeout)
            {
                _innerTimeout = timeout;
                _innerTimeoutRegistration = value.UnsafeRegister(static state => ((AbortScopeRequestFeature)state!).OnInnerTokenFired(), this);
            }
        }
    }

    /// <summary>Links the token the request arrived with: the server's, or one an outer middleware linked to it.</summary>
    public void LinkUpstream(CancellationToken upstream)
    {
        _upstreamRegistration = upstream.UnsafeRegister(static state => ((AbortScopeRequestFeature)state!).OnUpstreamFired(), this);
    }

    public void Abort()
    {
        var reason = AbortReason.Application;
        if (Scope.Request is { } context)
        {
            foreach (var integration in _integrations)
            {
                if (integration.ClassifyConnectionAbort(context) is { } known)
                {
                    reason = known;
                    break;
                }
            }
        }

        Scope.Abort(reason, AbortDetection.Code);
        _serverLifetime.Abort();
    }

    public void Dispose()
    {
        _upstreamRegistration.Dispose();
        _innerTimeoutRegistration.Dispose();
    }

    private void OnUpstreamFired()
    {
        var reason = _outerTimeout?.RequestTimeoutToken.IsCancellationRequested == true ? AbortReason.Timeout : AbortReason.ClientDisconnected;
        Scope.Abort(reason, AbortDetection.Server);
    }

    private void OnInnerTokenFired()
    {
        if (Volatile.Read(ref _innerTimeout)?.RequestTimeoutToken.IsCancellationRequested == true)
        {
            Scope.Abort(AbortReason.Timeout, AbortDetection.Server);
        }
    }
}
