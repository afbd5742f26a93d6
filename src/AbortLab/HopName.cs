namespace AbortLab;

/// <summary>
/// The name of this host's hop in timelines, logs and reports: <c>AbortLabOptions.HopName</c> if set, else the
/// application's name, else <c>"app"</c>. The one place that rule lives.
/// </summary>
internal sealed class HopName
{
    public const string Fallback = "app";

    private readonly Func<string?> _configured;
    private readonly string _default;

    public HopName(Func<string?> configured, string? applicationName)
    {
        _configured = configured;
        _default = string.IsNullOrEmpty(applicationName) ? Fallback : applicationName;
    }

    public string Value => _configured() ?? _default;
}
