using System.Collections.Concurrent;

namespace AbortLab.Bench;

/// <summary>
/// Where one abort's time goes inside a YARP proxy, per sample: when the token YARP links fired (the proxy noticed
/// its client leave) and when YARP's own callback on it had returned (its cancellation of the upstream request done,
/// synchronously, on the same thread). Both are noted by callbacks on that token, one registered after YARP's and
/// one before: a token runs its callbacks newest first.
/// </summary>
internal sealed class HopStages
{
    private readonly ConcurrentDictionary<int, long> _noticed = new();
    private readonly ConcurrentDictionary<int, long> _cancelled = new();

    public void Noticed(int id) => _noticed.TryAdd(id, Clock.Now);

    public void Cancelled(int id) => _cancelled.TryAdd(id, Clock.Now);

    /// <summary>Takes what the proxy noted for sample <paramref name="id"/>.</summary>
    public (long? Noticed, long? Cancelled) Take(int id) =>
        (_noticed.TryRemove(id, out var noticed) ? noticed : null, _cancelled.TryRemove(id, out var cancelled) ? cancelled : null);

    /// <summary>The sample id of a <c>/hold/{id}</c> request, or null for any other path.</summary>
    public static int? SampleId(string? path) =>
        path is not null && path.StartsWith("/hold/", StringComparison.Ordinal) &&
        int.TryParse(path.AsSpan("/hold/".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id
            : null;
}
