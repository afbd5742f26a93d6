using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;

namespace AbortLab.Sensors;

/// <summary>
/// Options of the sensors that need no cooperation from the app: log entries recorded per request, and outgoing
/// operations started after an abort.
/// </summary>
public sealed class SensorOptions
{
    /// <summary>
    /// Gets or sets a value that tells whether log entries of <see cref="MinimumLogLevel"/> and above are recorded on
    /// the timeline of the request they were written for (<see cref="RequestTimeline.Logs"/>).
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool RecordLogs { get; set; } = true;

    /// <summary>Gets or sets the lowest level of the log entries recorded.</summary>
    /// <value>Defaults to <see cref="LogLevel.Warning"/>; <see cref="LogLevel.Trace"/> to <see cref="LogLevel.Critical"/>.</value>
    [EnumDataType(typeof(LogLevel))]
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Warning;

    /// <summary>
    /// Gets or sets a value that tells whether outgoing HTTP calls and database commands started by a request's code
    /// after its abort are recorded (<see cref="RequestTimeline.OperationsAfterAbort"/>). They are seen through the
    /// activity sources <c>System.Net.Http</c>, <c>Npgsql</c> and <c>Grpc.Net.Client</c>, and the diagnostic listeners
    /// of EF Core and SqlClient; before an abort nothing is recorded.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>. The listeners are process-wide: the first host that starts them keeps them.</value>
    public bool RecordOperationsAfterAbort { get; set; } = true;

    /// <summary>
    /// Gets or sets a value that tells whether the code that runs for a tagged request (one the rig fires) is followed
    /// wherever its execution context takes it: continuations, timer callbacks, thread-pool items, threads and
    /// response-completion callbacks. What still runs after the abort is recorded on the timeline
    /// (<see cref="RequestTimeline.CodeAfterAbort"/>), with the thread and what started it. Requests without a tag are
    /// never followed and pay nothing for it.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool FollowCodeAfterAbort { get; set; } = true;
}
