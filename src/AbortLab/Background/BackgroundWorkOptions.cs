using System.ComponentModel.DataAnnotations;

namespace AbortLab.Background;

/// <summary>
/// Options of the background work queue.
/// </summary>
public sealed class BackgroundWorkOptions
{
    /// <summary>
    /// Gets or sets how many items may wait in the queue; beyond it, queuing waits for room.
    /// </summary>
    /// <value>Defaults to 1 000; from 1 to 1 000 000.</value>
    [Range(1, 1_000_000)]
    public int Capacity { get; set; } = 1_000;

    /// <summary>
    /// Gets or sets how many items run at once.
    /// </summary>
    /// <value>Defaults to 8; from 1 to 1 024.</value>
    [Range(1, 1_024)]
    public int MaxConcurrency { get; set; } = 8;
}
