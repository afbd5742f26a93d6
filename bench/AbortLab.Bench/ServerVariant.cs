namespace AbortLab.Bench;

/// <summary>The Kestrel apps compared: bare, with AbortLab, and with AbortLab plus its diagnostics API being watched.</summary>
internal enum ServerVariant
{
    /// <summary>Kestrel alone: <c>HttpContext.RequestAborted</c>.</summary>
    Bare,

    /// <summary>Kestrel with <c>UseAbortLab</c>: the scope's token, a timeline per request.</summary>
    AbortLab,

    /// <summary>
    /// As <see cref="AbortLab"/> with the log sensor off (<c>Sensors.RecordLogs = false</c>): with no logger enabled,
    /// ASP.NET Core's hosting creates no Activity and no log scope per request, as for bare Kestrel here.
    /// </summary>
    AbortLabWithoutLogSensor,

    /// <summary>As <see cref="AbortLab"/>, plus <c>MapAbortLab</c> with a client following <c>/abortlab/api/stream</c> (the dashboard open).</summary>
    AbortLabWithDiagnostics,
}
