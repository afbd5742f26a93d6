using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AbortLab.Diagnostics;

/// <summary>
/// The JSON of the diagnostics API: camelCase, enums by name, times as RFC 3339 UTC with microseconds.
/// </summary>
internal static class DiagnosticsJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(), new UtcMicrosecondsConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private sealed class UtcMicrosecondsConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
    }
}
