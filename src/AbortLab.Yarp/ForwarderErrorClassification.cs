using Yarp.ReverseProxy.Forwarder;

namespace AbortLab.Yarp;

/// <summary>
/// Which side of a proxy hop a <see cref="ForwarderError"/> speaks of. YARP's <c>RequestCanceled</c> does not say who
/// cancelled (dotnet/yarp#1598): the request's <see cref="AbortScope"/> does.
/// </summary>
internal static class ForwarderErrorClassification
{
    public static bool IsUpstreamSide(ForwarderError error) => error is
        ForwarderError.Request or
        ForwarderError.RequestTimedOut or
        ForwarderError.RequestBodyDestination or
        ForwarderError.ResponseHeaders or
        ForwarderError.ResponseBodyDestination or
        ForwarderError.UpgradeRequestDestination or
        ForwarderError.UpgradeResponseDestination or
        ForwarderError.UpgradeActivityTimeout or
        ForwarderError.NoAvailableDestinations;

    public static bool IsClientSide(ForwarderError error) => error is
        ForwarderError.RequestBodyClient or
        ForwarderError.ResponseBodyClient or
        ForwarderError.UpgradeRequestClient or
        ForwarderError.UpgradeResponseClient;

    public static bool IsCancellation(ForwarderError error) => error is
        ForwarderError.RequestCanceled or
        ForwarderError.RequestBodyCanceled or
        ForwarderError.ResponseBodyCanceled or
        ForwarderError.UpgradeRequestCanceled or
        ForwarderError.UpgradeResponseCanceled;
}
