using System.Diagnostics.Tracing;

namespace AbortLab.Bench;

/// <summary>
/// The runtime's allocation sampling (GCAllocationTick: one event about every 100 KB, naming the type of the object
/// that crossed the mark and the bytes allocated since the last event), read in process. Summed per type over many
/// requests it estimates which types a request allocates and how many bytes of each: what dotnet-trace's gc-verbose
/// profile shows, without a second process.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private volatile bool _enabled;

    public void Start() => _enabled = true;

    public IReadOnlyDictionary<string, long> Stop()
    {
        _enabled = false;
        lock (_bytes)
        {
            return new Dictionary<string, long>(_bytes, StringComparer.Ordinal);
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_enabled || eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.PayloadNames is not { } names || eventData.Payload is not { } payload)
        {
            return;
        }

        var typeIndex = names.IndexOf("TypeName");
        var amountIndex = names.IndexOf("AllocationAmount64");
        if (typeIndex < 0 || amountIndex < 0 || payload[typeIndex] is not string type)
        {
            return;
        }

        var amount = Convert.ToInt64(payload[amountIndex], System.Globalization.CultureInfo.InvariantCulture);
        lock (_bytes)
        {
            _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
        }
    }
}
