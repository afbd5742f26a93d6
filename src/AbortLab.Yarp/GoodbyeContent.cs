using System.Net;

namespace AbortLab.Yarp;

/// <summary>The upstream response's content, read through a <see cref="GoodbyeStream"/>; its headers are the upstream's.</summary>
internal sealed class GoodbyeContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly ProxiedStream _stream;

    public GoodbyeContent(HttpContent inner, ProxiedStream stream)
    {
        _inner = inner;
        _stream = stream;
        foreach (var (name, values) in inner.Headers.NonValidated)
        {
            Headers.TryAddWithoutValidation(name, values);
        }
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        new GoodbyeStream(await _inner.ReadAsStreamAsync(cancellationToken), _stream, TimeProvider.System);

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(default);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await using var source = await CreateContentReadStreamAsync(cancellationToken);
        await source.CopyToAsync(stream, cancellationToken);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, default);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
