using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace AbortLab.Telemetry;

/// <summary>
/// The instruments of the <c>AbortLab</c> meter.
/// </summary>
internal sealed class AbortLabMetrics : IDisposable
{
    public const string MeterName = "AbortLab";
    public const string ReasonTagName = "abortlab.abort.reason";
    public const string DetectedByTagName = "abortlab.abort.detected_by";

    private readonly Meter _meter;
    private readonly Counter<long> _abortedRequests;
    private readonly Histogram<double> _workStopDuration;
    private readonly Histogram<double> _connectionCloseDuration;
    private readonly UpDownCounter<long> _activeScopes;
    private readonly Counter<long> _zombies;
    private readonly Counter<long> _streamSubscribersCut;
    private readonly Counter<long> _streamSubscribersRefused;

    public AbortLabMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);

        _abortedRequests = _meter.CreateCounter<long>(
            "abortlab.requests.aborted",
            unit: "{request}",
            description: "Number of requests whose abort scope was aborted, by reason.");

        _workStopDuration = _meter.CreateHistogram<double>(
            "abortlab.abort.work_stop.duration",
            unit: "s",
            description: "Time from a request's abort until its pipeline and all its tracked work stopped.");

        _connectionCloseDuration = _meter.CreateHistogram<double>(
            "abortlab.abort.connection_close.duration",
            unit: "s",
            description: "Time from a request's abort until its connection closed.");

        _zombies = _meter.CreateCounter<long>(
            "abortlab.zombies",
            unit: "{request}",
            description: "Number of aborted requests whose work still ran after the zombie threshold.");

        _streamSubscribersCut = _meter.CreateCounter<long>(
            "abortlab.diagnostics.stream.cut",
            unit: "{subscriber}",
            description: "Number of event stream subscribers cut because they fell behind.");

        _streamSubscribersRefused = _meter.CreateCounter<long>(
            "abortlab.diagnostics.stream.refused",
            unit: "{subscriber}",
            description: "Number of event stream subscribers refused because the subscriber limit was reached.");

        _activeScopes = _meter.CreateUpDownCounter<long>(
            "abortlab.scopes.active",
            unit: "{scope}",
            description: "Number of requests currently running under an abort scope.");
    }

    public void ScopeStarted()
    {
        if (_activeScopes.Enabled)
        {
            _activeScopes.Add(1);
        }
    }

    public void ScopeEnded()
    {
        if (_activeScopes.Enabled)
        {
            _activeScopes.Add(-1);
        }
    }

    public void Aborted(AbortReason reason, AbortDetection detectedBy)
    {
        if (_abortedRequests.Enabled)
        {
            AbortedCore(reason, detectedBy);
        }
    }

    public void WorkStoppedAfterAbort(AbortReason reason, TimeSpan duration)
    {
        if (_workStopDuration.Enabled)
        {
            RecordCore(_workStopDuration, reason, duration);
        }
    }

    public void ConnectionClosedAfterAbort(AbortReason reason, TimeSpan duration)
    {
        if (_connectionCloseDuration.Enabled)
        {
            RecordCore(_connectionCloseDuration, reason, duration);
        }
    }

    public void ZombieDetected(AbortReason reason)
    {
        if (_zombies.Enabled)
        {
            _zombies.Add(1, new KeyValuePair<string, object?>(ReasonTagName, ToTagValue(reason)));
        }
    }

    public void StreamSubscriberCut() => _streamSubscribersCut.Add(1);

    public void StreamSubscriberRefused() => _streamSubscribersRefused.Add(1);

    public void Dispose() => _meter.Dispose();

    public static string ToTagValue(AbortReason reason) => reason switch
    {
        AbortReason.ClientDisconnected => "client_disconnected",
        AbortReason.Timeout => "timeout",
        AbortReason.ServerShutdown => "server_shutdown",
        AbortReason.UpstreamCanceled => "upstream_canceled",
        AbortReason.Application => "application",
        _ => "unknown",
    };

    public static string ToTagValue(AbortDetection detection) => detection switch
    {
        AbortDetection.Server => "server",
        AbortDetection.SocketProbe => "socket_probe",
        AbortDetection.ReadAhead => "read_ahead",
        AbortDetection.Host => "host",
        AbortDetection.Code => "code",
        _ => "unknown",
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AbortedCore(AbortReason reason, AbortDetection detectedBy)
    {
        var tags = new TagList
        {
            { ReasonTagName, ToTagValue(reason) },
            { DetectedByTagName, ToTagValue(detectedBy) },
        };
        _abortedRequests.Add(1, tags);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RecordCore(Histogram<double> histogram, AbortReason reason, TimeSpan duration)
    {
        histogram.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(ReasonTagName, ToTagValue(reason)));
    }
}
