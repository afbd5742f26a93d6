using System.ComponentModel.DataAnnotations;

namespace AbortLab.Idempotency;

/// <summary>
/// Options of <c>Idempotency-Key</c> support (draft-ietf-httpapi-idempotency-key-header).
/// </summary>
public sealed class IdempotencyOptions
{
    /// <summary>Gets or sets the request header that carries the key.</summary>
    /// <value>Defaults to <c>Idempotency-Key</c>.</value>
    [Required]
    [StringLength(128, MinimumLength = 1)]
    public string HeaderName { get; set; } = "Idempotency-Key";

    /// <summary>Gets or sets how long a key and its stored response are kept.</summary>
    /// <value>Defaults to 24 hours; from 1 second to 365 days.</value>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan Expiry { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Gets or sets how long a duplicate waits for the attempt in flight to finish before it gets 409; zero answers
    /// 409 at once.
    /// </summary>
    /// <value>Defaults to zero; from 0 to 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan WaitForInFlight { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Gets or sets how long a claim holds without renewal. The middleware renews it while the request runs; once the
    /// process holding it has died, a retry may claim the key again after at most this long.
    /// </summary>
    /// <value>Defaults to 30 seconds; from 1 second to 10 minutes, and shorter than <see cref="Expiry"/>.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how often expired keys are deleted from the store.</summary>
    /// <value>Defaults to 5 minutes; from 1 second to 1 day.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the longest key accepted.</summary>
    /// <value>Defaults to 255; from 1 to 4 096.</value>
    [Range(1, 4096)]
    public int MaxKeyLength { get; set; } = 255;

    /// <summary>Gets or sets the largest request body fingerprinted, and response body stored, per request.</summary>
    /// <value>Defaults to 1 MiB; from 1 KiB to 64 MiB.</value>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;
}
