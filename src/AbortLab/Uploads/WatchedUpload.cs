namespace AbortLab.Uploads;

/// <summary>An upload under watch: the probe's state, the read-ahead body put in its place, and the body it replaced.</summary>
internal readonly record struct WatchedUpload(PendingUpload Pending, ReadAheadRequestBody Body, Stream OriginalBody);
