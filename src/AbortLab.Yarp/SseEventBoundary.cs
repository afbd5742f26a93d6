namespace AbortLab.Yarp;

/// <summary>
/// Follows a <c>text/event-stream</c> byte by byte to know where one event ends (an empty line, whatever the line
/// ending), so that a goodbye event is never spliced into the middle of another.
/// </summary>
internal sealed class SseEventBoundary
{
    private int _lineLength;

    /// <summary>Gets whether everything seen so far ends with a complete event (true before the first byte).</summary>
    public bool AtBoundary { get; private set; } = true;

    /// <summary>
    /// Follows <paramref name="data"/>. With <paramref name="stopAtBoundary"/>, returns the length up to and including
    /// the first event end in it (the rest is not followed); otherwise, or if none, follows all of it and returns -1.
    /// </summary>
    public int Advance(ReadOnlySpan<byte> data, bool stopAtBoundary)
    {
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] is (byte)'\r' or (byte)'\n')
            {
                // A second terminator of a CRLF pair is an empty line after the boundary: nothing changes.
                AtBoundary = _lineLength == 0;
                _lineLength = 0;
                if (AtBoundary && stopAtBoundary)
                {
                    return i + 1;
                }
            }
            else
            {
                _lineLength++;
                AtBoundary = false;
            }
        }

        return -1;
    }
}
