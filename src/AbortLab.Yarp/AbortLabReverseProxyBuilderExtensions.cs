using AbortLab.Yarp;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Adds AbortLab to YARP.
/// </summary>
public static class AbortLabReverseProxyBuilderExtensions
{
    /// <summary>
    /// Adds AbortLab to the proxy: a client abort cancels the upstream call (YARP links the abort scope's token),
    /// each forward is tracked on the proxy's timeline with YARP's error when it fails, the trace id is passed on,
    /// and the status tells which side stopped: 504 for a route timeout (YARP alone answers 400), 499 recorded for a
    /// client that left, 502 for an upstream failure, 400 for a request header the proxy cannot forward (a value
    /// outside ASCII, when the cluster sets no <c>RequestHeaderEncoding</c>). Call <c>services.AddAbortLab()</c> and <c>app.UseAbortLab()</c>
    /// too; this replaces YARP's <see cref="IForwarderHttpClientFactory"/> with one that wraps YARP's own.
    /// </summary>
    /// <param name="builder">The reverse proxy builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IReverseProxyBuilder AddAbortLab(this IReverseProxyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAbortLab();
        builder.Services.Replace(ServiceDescriptor.Singleton<IForwarderHttpClientFactory, AbortLabForwarderHttpClientFactory>());
        builder.Services.AddAbortLabIntegration<YarpAbortIntegration>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ITransformProvider, ClientHeaderCheck>());
        return builder;
    }
}
