using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace AbortLab.Yarp;

/// <summary>
/// YARP's own client factory, with <see cref="AbortLabForwarderHandler"/> in front of its handler.
/// </summary>
internal sealed class AbortLabForwarderHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
        new AbortLabForwarderHandler(base.WrapHandler(context, handler));
}
