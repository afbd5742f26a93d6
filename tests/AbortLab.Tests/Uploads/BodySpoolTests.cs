using System.Security.Cryptography;
using AbortLab.Uploads;

namespace AbortLab.Tests.Uploads;

public sealed class BodySpoolTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("abortlab-spool-tests-").FullName;

    [Fact]
    public async Task Spool_PassingFromMemoryToFileAndBack_KeepsEveryByteInOrder()
    {
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        await using var spool = new BodySpool(memoryLimit: 64 * 1024, maxBytes: 512 * 1024, _directory);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        var writer = Task.Run(async () =>
        {
            var random = new Random(1);
            for (var offset = 0; offset < data.Length;)
            {
                var count = Math.Min(random.Next(1, 70_000), data.Length - offset);
                await spool.WriteAsync(data.AsMemory(offset, count), cancellation.Token);
                offset += count;
            }

            spool.Complete(null);
        });

        var received = new MemoryStream();
        var buffer = new byte[10_000];
        var readRandom = new Random(2);
        int read;
        while ((read = await spool.ReadAsync(buffer.AsMemory(0, readRandom.Next(1, buffer.Length)), cancellation.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        await writer;
        Assert.True(spool.UsesFile);
        Assert.Equal(data.Length, spool.TotalWritten);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
    }

    [Fact]
    public async Task Spool_AtItsMaximum_MakesTheWriterWaitForTheReader()
    {
        await using var spool = new BodySpool(memoryLimit: 1024, maxBytes: 4096, _directory);
        await spool.WriteAsync(new byte[4096], CancellationToken.None);

        var blocked = spool.WriteAsync(new byte[1], CancellationToken.None).AsTask();
        Assert.False(blocked.IsCompleted);

        await spool.ReadAsync(new byte[10], CancellationToken.None);
        await blocked.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Spool_AfterAWriterError_GivesTheBufferedBytesThenTheError()
    {
        await using var spool = new BodySpool(memoryLimit: 1024, maxBytes: 4096, _directory);
        await spool.WriteAsync(new byte[] { 1, 2, 3 }, CancellationToken.None);
        spool.Complete(new IOException("connection reset"));

        var buffer = new byte[10];
        Assert.Equal(3, await spool.ReadAsync(buffer, CancellationToken.None));
        var error = await Assert.ThrowsAsync<IOException>(async () => await spool.ReadAsync(buffer, CancellationToken.None));
        Assert.Equal("connection reset", error.Message);
    }

    [Fact]
    public async Task Spool_WhenDisposed_DeletesItsFile()
    {
        var spool = new BodySpool(memoryLimit: 0, maxBytes: 1024 * 1024, _directory);
        await spool.WriteAsync(new byte[1000], CancellationToken.None);
        var file = Assert.Single(Directory.GetFiles(_directory));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        await spool.DisposeAsync();

        Assert.Empty(Directory.GetFiles(_directory));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
