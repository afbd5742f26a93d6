using System.Text;
using AbortLab.Yarp;

namespace AbortLab.Tests.Yarp;

/// <summary>Where a proxy may put its goodbye: between two SSE events, between two WebSocket frames, never inside one.</summary>
public sealed class StreamBoundaryTests
{
    [Theory]
    [InlineData("data: a\n\n", true)]
    [InlineData("data: a\r\n\r\n", true)]
    [InlineData("data: a\r\r", true)]
    [InlineData("event: x\ndata: a\n", false)]
    [InlineData("data: a\n\ndata: b", false)]
    [InlineData(": comment\n\n", true)]
    [InlineData("", true)]
    public void SseEventBoundary_KnowsWhetherAnEventIsComplete(string text, bool atBoundary)
    {
        var events = new SseEventBoundary();

        Assert.Equal(-1, events.Advance(Encoding.UTF8.GetBytes(text), stopAtBoundary: false));
        Assert.Equal(atBoundary, events.AtBoundary);
    }

    [Fact]
    public void SseEventBoundary_StopsAfterTheFirstEventEnd_EvenAcrossReads()
    {
        var events = new SseEventBoundary();
        Assert.Equal(-1, events.Advance("data: one\n"u8, stopAtBoundary: true));
        Assert.False(events.AtBoundary);

        var end = events.Advance("\ndata: two\n\n"u8, stopAtBoundary: true);

        Assert.Equal(1, end);
        Assert.True(events.AtBoundary);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(300)]
    [InlineData(70_000)]
    public void WebSocketFrameCursor_FollowsFramesOfEveryLengthForm_SplitAnywhere(int payload)
    {
        var frame = Frame(0x1, payload, masked: false);
        var cursor = new WebSocketFrameCursor();

        for (var i = 0; i < frame.Length - 1; i += 7)
        {
            var piece = frame.AsSpan(i, Math.Min(7, frame.Length - 1 - i));
            Assert.Equal(-1, cursor.Advance(piece, stopAtBoundary: true));
            Assert.False(cursor.AtBoundary);
        }

        Assert.Equal(1, cursor.Advance(frame.AsSpan(frame.Length - 1), stopAtBoundary: true));
        Assert.True(cursor.AtBoundary);
    }

    [Fact]
    public void WebSocketFrameCursor_FindsAClientCloseFrame_AfterMaskedDataFrames()
    {
        var data = Frame(0x1, 130, masked: true);
        var close = Frame(WebSocketFrameCursor.CloseOpcode, 2, masked: true);
        var bytes = data.Concat(data).Concat(close).ToArray();
        var cursor = new WebSocketFrameCursor();

        Assert.Equal(2 * data.Length, cursor.Advance(bytes, stopAtBoundary: false, WebSocketFrameCursor.CloseOpcode));
    }

    [Fact]
    public void WebSocketFrameCursor_DoesNotTakeAPayloadByteForACloseFrame()
    {
        // A text frame whose payload is full of 0x88 bytes: only frame starts count.
        var frame = Frame(0x1, 40, masked: false, fill: 0x88);
        var cursor = new WebSocketFrameCursor();

        Assert.Equal(-1, cursor.Advance(frame, stopAtBoundary: false, WebSocketFrameCursor.CloseOpcode));
        Assert.True(cursor.AtBoundary);
    }

    private static byte[] Frame(int opcode, int payload, bool masked, byte fill = (byte)'x')
    {
        var header = new List<byte> { (byte)(0x80 | opcode) };
        var mask = masked ? 0x80 : 0;
        if (payload < 126)
        {
            header.Add((byte)(mask | payload));
        }
        else if (payload <= ushort.MaxValue)
        {
            header.Add((byte)(mask | 126));
            header.Add((byte)(payload >> 8));
            header.Add((byte)payload);
        }
        else
        {
            header.Add((byte)(mask | 127));
            header.AddRange(BitConverter.GetBytes((ulong)payload).Reverse());
        }

        if (masked)
        {
            header.AddRange([1, 2, 3, 4]);
        }

        return [.. header, .. Enumerable.Repeat(fill, payload)];
    }
}
