using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace AbortLab.Yarp;

/// <summary>
/// YARP's own client factory, with <see cref="AbortLabForwarderHandler"/> in front of its handler, and upstream
/// responses left unread closed instead of drained.
/// </summary>
/// <remarks>
/// When the client leaves while YARP is writing to it (not reading from upstream), YARP disposes the upstream body
/// without cancelling a read. SocketsHttpHandler then drains the rest for reuse: up to
/// <see cref="SocketsHttpHandler.MaxResponseDrainSize"/> (1 MiB) for up to
/// <see cref="SocketsHttpHandler.ResponseDrainTimeout"/> (2 s), so a streaming upstream kept working for the client
/// that left for those 2 s (seen by the rig in about one cell in a hundred). A proxy only abandons a response
/// because its client went away or failed, so the connection is closed at once and the upstream sees the abort.
/// </remarks>
internal sealed class AbortLabForwarderHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.MaxResponseDrainSize = 0;
    }

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
        new AbortLabForwarderHandler(base.WrapHandler(context, handler));
}
