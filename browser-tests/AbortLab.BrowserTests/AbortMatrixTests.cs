using AbortLab.Playwright;
using Xunit.Abstractions;

namespace AbortLab.BrowserTests;

/// <summary>
/// Every cell of the matrix: real Chromium aborts a request to the lab, and the lab's own records must show the
/// abort seen on every hop, the work stopped and the socket closed (HTTP/1.1) or kept with its stream reset (HTTP/2).
/// </summary>
[Collection(BrowserLabCollection.Name)]
public sealed class AbortMatrixTests(BrowserLabFixture lab, ITestOutputHelper output)
{
    public static TheoryData<Transport, AbortKind, string> Cells() => AbortMatrix.Cells();

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Cell(Transport transport, AbortKind kind, string scenario)
    {
        var request = new AbortRequest(kind, AbortMatrix.Scenarios[scenario])
        {
            ExpectedHops = kind == AbortKind.RouteAbort ? [] : AbortMatrix.Hops(transport, scenario),
            Tag = $"matrix-{transport}-{kind}-{scenario}-{Guid.NewGuid().ToString("N")[..8]}",
        };

        var verdict = await lab.Rig(transport).FireAsync(request);
        lab.Report.Add(transport, kind, scenario, verdict);
        output.WriteLine(verdict.ToString());

        verdict.EnsurePassed();
        if (verdict.Expectation == AbortExpectation.Aborted && kind != AbortKind.WebSocketClose)
        {
            // WebSockets are HTTP/1.1 upgrades: Chromium opens a WebSocket over HTTP/2 only on a session it already has.
            Assert.Equal(transport == Transport.Http2Edge ? "HTTP/2" : "HTTP/1.1", verdict.Protocol);
        }
    }
}
