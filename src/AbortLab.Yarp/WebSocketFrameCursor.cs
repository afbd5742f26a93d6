using System.Buffers.Binary;

namespace AbortLab.Yarp;

/// <summary>
/// Follows one direction of a WebSocket connection frame by frame (RFC 6455 §5.2: a 2–14 byte header, then the
/// payload), so that a close frame can be put between two frames and a client's close frame recognised. Control
/// frames may come between the fragments of a message, so any frame end will do.
/// </summary>
internal sealed class WebSocketFrameCursor
{
    public const int CloseOpcode = 0x8;

    private readonly byte[] _header = new byte[14];
    private int _headerLength;
    private int _headerNeeded;
    private long _payloadLeft;

    /// <summary>Gets whether everything seen so far ends with a complete frame (true before the first byte).</summary>
    public bool AtBoundary => _headerLength == 0 && _payloadLeft == 0;

    /// <summary>
    /// Follows <paramref name="data"/> and returns: with <paramref name="stopAtBoundary"/>, the length up to the end
    /// of the first frame that ends in it; with <paramref name="opcodeToFind"/>, the offset of the first frame of that
    /// opcode that starts in it; -1 when neither is met (all of it followed).
    /// </summary>
    public int Advance(ReadOnlySpan<byte> data, bool stopAtBoundary, int opcodeToFind = -1)
    {
        var i = 0;
        while (i < data.Length)
        {
            if (_payloadLeft > 0)
            {
                var take = (int)Math.Min(_payloadLeft, data.Length - i);
                i += take;
                _payloadLeft -= take;
                if (_payloadLeft == 0 && stopAtBoundary)
                {
                    return i;
                }

                continue;
            }

            if (_headerLength == 0 && opcodeToFind >= 0 && (data[i] & 0x0F) == opcodeToFind)
            {
                return i;
            }

            _header[_headerLength++] = data[i++];
            if (_headerLength == 2)
            {
                var masked = (_header[1] & 0x80) != 0;
                _headerNeeded = 2 + ((_header[1] & 0x7F) switch { 126 => 2, 127 => 8, _ => 0 }) + (masked ? 4 : 0);
            }

            if (_headerLength >= 2 && _headerLength == _headerNeeded)
            {
                _payloadLeft = (_header[1] & 0x7F) switch
                {
                    126 => BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2)),
                    127 => (long)BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2)),
                    var length => length,
                };
                _headerLength = 0;
                if (_payloadLeft == 0 && stopAtBoundary)
                {
                    return i;
                }
            }
        }

        return -1;
    }
}
