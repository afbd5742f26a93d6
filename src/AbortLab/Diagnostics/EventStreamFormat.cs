using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AbortLab.Diagnostics;

/// <summary>
/// Writes one timeline event as a Server-Sent Event straight into the response: the same JSON the serializer made
/// of it (camelCase names, enums by name, times as <see cref="DiagnosticsJson"/> writes them) without a string, an
/// array or an object per event. A followed stream writes two or more events per request the host serves.
/// </summary>
internal static class EventStreamFormat
{
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    private static readonly byte[]?[] EventNames = Names<TimelineEventKind>(static name => JsonNamingPolicy.CamelCase.ConvertName(name));
    private static readonly byte[]?[] KindNames = Names<TimelineEventKind>(static name => name);
    private static readonly byte[]?[] ReasonNames = Names<AbortReason>(static name => name);
    private static readonly byte[]?[] OutcomeNames = Names<WorkOutcome>(static name => name);

    public static void Write(IBufferWriter<byte> output, Utf8JsonWriter json, ReadOnlySpan<byte> epoch, in TimelineEvent timelineEvent, RequestTimeline? timeline)
    {
        output.Write("id: "u8);
        output.Write(epoch);
        output.Write("-"u8);
        WriteNumber(output, timelineEvent.Sequence);
        output.Write("\nevent: "u8);
        if (NameOf(EventNames, (int)timelineEvent.Kind) is { } eventName)
        {
            output.Write(eventName);
        }
        else
        {
            WriteNumber(output, (int)timelineEvent.Kind);
        }

        output.Write("\ndata: "u8);

        json.Reset(output);
        json.WriteStartObject();
        json.WriteNumber("sequence"u8, timelineEvent.Sequence);
        WriteName(json, "kind"u8, KindNames, (int)timelineEvent.Kind);
        Span<byte> text = stackalloc byte[32];
        timelineEvent.Timestamp.UtcDateTime.TryFormat(text, out var written, TimestampFormat, CultureInfo.InvariantCulture);
        json.WriteString("timestamp"u8, text[..written]);
        if (timelineEvent.RequestNumber > 0)
        {
            timelineEvent.RequestNumber.TryFormat(text, out written, default, CultureInfo.InvariantCulture);
            json.WriteString("requestId"u8, text[..written]);
        }
        else
        {
            json.WriteString("requestId"u8, TimelineEvent.NoRequest);
        }

        json.WriteString("hop"u8, timelineEvent.Hop);
        WriteName(json, "reason"u8, ReasonNames, (int?)timelineEvent.Reason);
        json.WriteString("workName"u8, timelineEvent.WorkName);
        WriteName(json, "workOutcome"u8, OutcomeNames, (int?)timelineEvent.WorkOutcome);
        if (timelineEvent.StatusCode is { } statusCode)
        {
            json.WriteNumber("statusCode"u8, statusCode);
        }
        else
        {
            json.WriteNull("statusCode"u8);
        }

        json.WritePropertyName("timeline"u8);
        JsonSerializer.Serialize(json, timeline, DiagnosticsJson.Options);
        json.WriteEndObject();
        json.Flush();
        output.Write("\n\n"u8);
    }

    private static void WriteNumber(IBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(20);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    // A value without a name (there is none today) is written as the serializer writes one: as its number.
    private static void WriteName(Utf8JsonWriter json, ReadOnlySpan<byte> property, byte[]?[] names, int? value)
    {
        if (value is not { } known)
        {
            json.WriteNull(property);
        }
        else if (NameOf(names, known) is { } name)
        {
            json.WriteString(property, name);
        }
        else
        {
            json.WriteNumber(property, known);
        }
    }

    private static byte[]? NameOf(byte[]?[] names, int value) => (uint)value < (uint)names.Length ? names[value] : null;

    private static byte[]?[] Names<T>(Func<string, string> convert)
        where T : struct, Enum
    {
        var values = Enum.GetValues<T>();
        var names = new byte[]?[values.Max(static v => Convert.ToInt32(v, CultureInfo.InvariantCulture)) + 1];
        foreach (var value in values)
        {
            names[Convert.ToInt32(value, CultureInfo.InvariantCulture)] = Encoding.UTF8.GetBytes(convert(value.ToString()));
        }

        return names;
    }
}
