using AbortLab.Connections;
using AbortLab.Integration;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;

namespace AbortLab.Hosting;

/// <summary>
/// Stands in for the server's <see cref="IHttpRequestLifetimeFeature"/> while a request runs under a scope, so that
/// <c>HttpContext.RequestAborted</c> is the scope's own token (never recycled) and so that AbortLab sees a Request
/// Timeouts middleware further in link its timeout to that token.
/// </summary>
internal sealed class AbortScopeRequestFeature : IAbortScopeFeature, IHttpRequestLifetimeFeature, IClientDepartureEvidence, IDisposable
{
    private readonly IHttpRequestLifetimeFeature? _serverLifetime;
    private readonly IFeatureCollection _features;
    private readonly IHttpRequestTimeoutFeature? _outerTimeout;
    private CancellationToken _requestAborted;
    private bool _requestAbortedReplaced;
    private CancellationTokenRegistration _upstreamRegistration;
    private InnerTimeout? _innerTimeout;
    private readonly IAbortLabIntegration[] _integrations;
    private ClientDeparture _departure;

    public AbortScopeRequestFeature(AbortScope scope, IHttpRequestLifetimeFeature? serverLifetime, IFeatureCollection features, IConnectionLifetimeFeature? connectionLifetime, IHttpRequestTimeoutFeature? outerTimeout, IAbortLabIntegration[] integrations, CancellationToken upstream)
    {
        _departure = new ClientDeparture(features, connectionLifetime, upstream);
        _integrations = integrations;
        Scope = scope;
        _serverLifetime = serverLifetime;
        _features = features;
        _outerTimeout = outerTimeout;
    }

    public AbortScope Scope { get; }

    public CancellationToken RequestAborted
    {
        // Inside a Request Timeouts middleware the timeout is ours to pass on; outside it, the middleware further in
        // must find a token the timeout does not cancel (see AbortScope). Asked for only when someone reads it.
        get => _requestAbortedReplaced ? _requestAborted : _outerTimeout is null ? Scope.RequestAbortedToken : Scope.Token;
        set
        {
            _requestAborted = value;
            _requestAbortedReplaced = true;
            var previous = _innerTimeout;
            _innerTimeout = null;
            previous?.Registration.Dispose();

            // The Request Timeouts middleware sets its feature, then a token linked to ours; it restores ours later.
            if (!Scope.OwnsToken(value) && _features.Find<IHttpRequestTimeoutFeature>() is { } timeout && timeout != _outerTimeout)
            {
                var inner = new InnerTimeout(timeout);
                Volatile.Write(ref _innerTimeout, inner);
                inner.Registration = value.UnsafeRegister(static state => ((AbortScopeRequestFeature)state!).OnInnerTokenFired(), this);
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
        _serverLifetime?.Abort();
    }

    public bool IsEvident() => _departure.IsEvident();

    /// <summary>The request ended: the server's token, recycled for the next request, no longer speaks for this one.</summary>
    public void Dispose()
    {
        _departure.RequestEnded();
        _upstreamRegistration.Dispose();
        _innerTimeout?.Registration.Dispose();
    }

    private void OnUpstreamFired()
    {
        var reason = _outerTimeout?.RequestTimeoutToken.IsCancellationRequested == true ? AbortReason.Timeout : AbortReason.ClientDisconnected;
        Scope.Abort(reason, AbortDetection.Server);
    }

    private void OnInnerTokenFired()
    {
        if (Volatile.Read(ref _innerTimeout)?.Feature.RequestTimeoutToken.IsCancellationRequested == true)
        {
            Scope.Abort(AbortReason.Timeout, AbortDetection.Server);
        }
    }

    // A Request Timeouts middleware further in, once it linked its token to ours: most requests have none, so the
    // feature carries one reference, not the registration.
    private sealed class InnerTimeout(IHttpRequestTimeoutFeature feature)
    {
        public IHttpRequestTimeoutFeature Feature { get; } = feature;

        public CancellationTokenRegistration Registration { get; set; }
    }
}
