using System.Diagnostics;

namespace AbortLab;

/// <summary>
/// W3C trace context (<c>traceparent</c>), read and written through <see cref="ActivityContext"/>: the one home of
/// that format in AbortLab. An <see cref="Activity"/>, when there is one, propagates itself through
/// <see cref="DistributedContextPropagator"/>; this is for a request with none.
/// </summary>
internal static class TraceParent
{
    public const string HeaderName = "traceparent";

    /// <summary>The trace id of a valid <c>traceparent</c> value, else <see langword="null"/>.</summary>
    public static string? TraceIdOf(string? traceParent) =>
        ActivityContext.TryParse(traceParent, traceState: null, isRemote: true, out var context) ? context.TraceId.ToHexString() : null;

    /// <summary>A <c>traceparent</c> value that continues <paramref name="traceId"/> from a new span.</summary>
    public static string Continuing(string traceId)
    {
        var context = new ActivityContext(ActivityTraceId.CreateFromString(traceId), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        return $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{(context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? "01" : "00")}";
    }
}
