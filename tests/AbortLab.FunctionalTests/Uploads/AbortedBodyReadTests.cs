using AbortLab.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace AbortLab.FunctionalTests.Uploads;

/// <summary>
/// A request body read cancelled by a token (the scope's, YARP's copy's) rather than by a connection abort leaves
/// Kestrel's HTTP/1.x body reader "reading" (dotnet/aspnetcore#17840): its end-of-request drain then fails with
/// "Reading is already in progress" and logs an Error. Under AbortLab such a read must end the way Kestrel expects.
/// </summary>
public sealed class AbortedBodyReadTests(ITestOutputHelper output)
{
    private readonly Signal<AbortScope> _reading = new();

    [Theory]
    [InlineData(ConnectionEnd.Fin)]
    [InlineData(ConnectionEnd.Rst)]
    public async Task AClientThatLeavesMidBody_LeavesKestrelNoErrorToLog(ConnectionEnd end)
    {
        // Bare Kestrel, RST while the app awaits a body read: the read throws ConnectionResetException and leaves the
        // reader "reading", then Kestrel drains and logs Error RequestBodyDrainBodyReaderInvalidState (seen here, beside
        // the app's own unhandled-exception Error). Under AbortLab the connection is aborted instead of drained.
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapPost("/read", async (HttpContext context) =>
            {
                _reading.Set(context.GetAbortScope());
                var buffer = new byte[16 * 1024];
                while (await context.Request.Body.ReadAsync(buffer) > 0)
                {
                }
            });
        });
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        await client.SendAsync("POST /read HTTP/1.1\r\nHost: test\r\nContent-Length: 1000000\r\n\r\n");
        await client.SendAsync(new string('x', 1024));
        var id = (await _reading.WaitAsync()).RequestId;
        client.End(end);

        await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null && t.ConnectionClosedAt is not null);
        await host.WaitForLogAsync(r => r.Id.Name == "ConnectionStop");
        var errors = host.Logs.GetSnapshot().Where(r => r.Level >= LogLevel.Error).Select(r => $"{r.Category} [{r.Id}]: {r.Message} {r.Exception?.Message}").ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ABodyReadCancelledByTheScope_LeavesKestrelNoErrorToLog(bool chunked)
    {
        await using var host = await KestrelTestHost.StartAsync(app =>
        {
            app.UseAbortLab();
            app.MapPost("/read", async (HttpContext context) =>
            {
                var scope = context.GetAbortScope();
                _reading.Set(scope);
                var buffer = new byte[16 * 1024];
                while (await context.Request.Body.ReadAsync(buffer, scope.Token) > 0)
                {
                }
            });
        });
        using var client = await RawHttpConnection.ConnectAsync(host.Port);
        var framing = chunked ? "Transfer-Encoding: chunked" : "Content-Length: 1000000";
        await client.SendAsync($"POST /read HTTP/1.1\r\nHost: test\r\n{framing}\r\n\r\n");
        await client.SendAsync(chunked ? "400\r\n" + new string('x', 1024) + "\r\n" : new string('x', 1024));
        var scope = await _reading.WaitAsync();
        var id = scope.RequestId;

        // The app's own abort: the token fires while the read waits, and the connection stays up.
        scope.Abort(AbortReason.Application);
        var head = await client.ReadHeadAsync().WaitAsync(KestrelTestHost.WaitTimeout);
        output.WriteLine($"status {head.StatusCode}");

        // Kestrel drains the rest of the body after the response; then the client leaves.
        await client.SendAsync(chunked ? "0\r\n\r\n" : new string('y', 2048));
        client.CloseWithFin();
        await host.WaitForTimelineAsync(t => t.Id == id && t.CompletedAt is not null && t.ConnectionClosedAt is not null);

        var errors = host.Logs.GetSnapshot().Where(r => r.Level >= LogLevel.Error).Select(r => $"{r.Category} [{r.Id}]: {r.Message} {r.Exception?.Message}").ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
