using System.ComponentModel.DataAnnotations;

namespace AbortLab.Zombies;

/// <summary>
/// Options of the zombie watchdog: work still running well after its scope was aborted is a zombie.
/// </summary>
public sealed class ZombieOptions
{
    /// <summary>
    /// Gets or sets how long after an abort the request's pipeline or tracked work may still run before it is flagged
    /// as a zombie (on the timeline, in the <c>abortlab.zombies</c> metric, and in a Warning log naming the endpoint).
    /// </summary>
    /// <value>Defaults to 1 second; from 10 milliseconds to 10 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan Threshold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets a value that tells whether the connection of a zombie request is aborted after
    /// <see cref="AbortConnectionAfter"/>, so that at least the socket is freed while the work runs on.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool AbortConnection { get; set; } = true;

    /// <summary>
    /// Gets or sets how long after the abort the connection of a request whose pipeline still runs is aborted.
    /// </summary>
    /// <value>Defaults to 5 seconds; from 10 milliseconds to 1 hour; at least <see cref="Threshold"/> in effect.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan AbortConnectionAfter { get; set; } = TimeSpan.FromSeconds(5);
}
