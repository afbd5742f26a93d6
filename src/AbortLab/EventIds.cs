namespace AbortLab;

/// <summary>
/// The id of every log event of this package, in one place: ids are never reused, and a test checks that no two
/// events of any AbortLab package share one.
/// </summary>
internal static class EventIds
{
    /// <summary>Debug.</summary>
    public const int RequestAborted = 1;

    /// <summary>Debug.</summary>
    public const int AbortExceptionHandled = 2;

    /// <summary>Debug.</summary>
    public const int StalledUploadDetected = 3;

    /// <summary>Debug.</summary>
    public const int ConnectionLingerExpired = 4;

    /// <summary>Warning.</summary>
    public const int AbortCallbackFailed = 5;

    /// <summary>Debug.</summary>
    public const int ReadAheadStarted = 6;

    /// <summary>Warning.</summary>
    public const int UploadProbeFailed = 7;

    /// <summary>Information.</summary>
    public const int ShutdownAbortingScopes = 8;

    /// <summary>Warning.</summary>
    public const int ZombieDetected = 9;

    /// <summary>Warning.</summary>
    public const int ZombieConnectionAborted = 10;

    /// <summary>Debug.</summary>
    public const int BackgroundWorkCanceled = 11;

    /// <summary>Error.</summary>
    public const int BackgroundWorkFailed = 12;

    /// <summary>Information.</summary>
    public const int ShutdownReported = 13;

    /// <summary>Warning.</summary>
    public const int StreamSubscriberCut = 15;

    /// <summary>Warning.</summary>
    public const int StreamSubscriberRefused = 16;

    /// <summary>Debug.</summary>
    public const int DiagnosticsRefused = 17;

    /// <summary>Warning.</summary>
    public const int DatabaseCancelUnconfirmed = 18;

    /// <summary>Information.</summary>
    public const int DatabaseCancelResent = 19;

    /// <summary>Debug.</summary>
    public const int DatabaseCancelResendFailed = 20;
}
