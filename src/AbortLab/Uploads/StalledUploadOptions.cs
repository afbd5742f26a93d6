using System.ComponentModel.DataAnnotations;

namespace AbortLab.Uploads;

/// <summary>
/// Options of stalled-upload detection. Once about 1 MB of a request body the app has not read is buffered, Kestrel
/// stops reading the socket and cannot see the client leave: a FIN waits behind the client's unsent bytes, and an
/// RST goes unnoticed. AbortLab watches HTTP/1.1 requests whose body is still pending two ways: a socket probe that
/// sees an RST (or a FIN that did arrive), and a read-ahead that keeps draining the body into a bounded spool so
/// that the FIN arrives, while the app still reads the whole body, byte for byte, from the spool.
/// </summary>
public sealed class StalledUploadOptions
{
    /// <summary>
    /// Gets or sets a value that tells whether the socket of a request with a pending body is probed for a peer
    /// that has gone (Linux: TCP_INFO state; elsewhere a zero-timeout poll).
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool ProbeEnabled { get; set; } = true;

    /// <summary>
    /// Gets or sets how often pending uploads are probed, and how soon read-ahead starts once the app is not reading.
    /// </summary>
    /// <value>Defaults to 50 milliseconds; from 5 milliseconds to 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.005", "00:00:10")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Gets or sets a value that tells whether a pending body the app is not reading is drained into a spool.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool ReadAheadEnabled { get; set; } = true;

    /// <summary>
    /// Gets or sets how many bytes of one request's spool are kept in memory before the rest goes to a temporary file.
    /// </summary>
    /// <value>Defaults to 1 MiB; from 0 to 64 MiB.</value>
    [Range(0, 64 * 1024 * 1024)]
    public int ReadAheadMemoryLimit { get; set; } = 1024 * 1024;

    /// <summary>
    /// Gets or sets how many unread bytes one request's spool may hold; beyond it read-ahead waits for the app to
    /// read, and only the probe still watches the socket.
    /// </summary>
    /// <value>Defaults to 32 MiB; from 64 KiB to 16 GiB.</value>
    [Range(64L * 1024, 16L * 1024 * 1024 * 1024)]
    public long ReadAheadMaxBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// Gets or sets the folder for spool files.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: the system's temporary folder.</value>
    public string? SpoolDirectory { get; set; }
}
