using AbortLab.Shutdown;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AbortLab.Hosting;

/// <summary>
/// The rules of <see cref="AbortLabOptions"/> that span more than one field, or the host: the one place they live.
/// Field ranges are the source-generated <see cref="AbortLabOptionsValidator"/>'s.
/// </summary>
internal sealed class AbortLabOptionsRules : IValidateOptions<AbortLabOptions>
{
    private readonly IOptions<HostOptions> _hostOptions;

    public AbortLabOptionsRules(IOptions<HostOptions> hostOptions)
    {
        _hostOptions = hostOptions;
    }

    public ValidateOptionsResult Validate(string? name, AbortLabOptions options)
    {
        var failures = new List<string>();
        var uploads = options.StalledUploads;
        if (uploads.SpoolDirectory is { } spool && !Directory.Exists(spool))
        {
            failures.Add($"AbortLabOptions.StalledUploads.SpoolDirectory must name a folder that exists ('{spool}' does not).");
        }

        if (uploads.ReadAheadMemoryLimit > uploads.ReadAheadMaxBytes)
        {
            failures.Add(
                $"AbortLabOptions.StalledUploads.ReadAheadMemoryLimit ({uploads.ReadAheadMemoryLimit} bytes) must not exceed " +
                $"ReadAheadMaxBytes ({uploads.ReadAheadMaxBytes} bytes): the read-ahead never holds more than it may read.");
        }

        foreach (var path in options.ExcludedPaths)
        {
            if (string.IsNullOrEmpty(path) || path[0] != '/' || path.Contains('?') || path.Contains('#'))
            {
                failures.Add($"AbortLabOptions.ExcludedPaths: each entry must be a path that starts with '/' and holds no query or fragment ('{path}' is not).");
            }
        }

        var shutdown = options.Shutdown;
        var hostTimeout = _hostOptions.Value.ShutdownTimeout;
        if (shutdown.DrainEnabled && shutdown.DrainTimeout + ShutdownOptions.AbortGrace >= hostTimeout)
        {
            failures.Add(
                $"AbortLabOptions.Shutdown.DrainTimeout ({shutdown.DrainTimeout.TotalSeconds} s) plus a {ShutdownOptions.AbortGrace.TotalSeconds} s grace must be shorter than " +
                $"HostOptions.ShutdownTimeout ({hostTimeout.TotalSeconds} s), or the host would cut connections before the drain ends. " +
                "Lower the drain timeout or raise the shutdown timeout (builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ...)).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
