using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AbortLab.Sensors;

/// <summary>
/// The response feature of a followed request: the server runs completion callbacks outside the request's execution
/// context, so each is run as the request's code (see <see cref="RequestCodeFollower"/>), and whatever it starts is
/// followed too.
/// </summary>
internal sealed class FollowedResponseFeature(IHttpResponseFeature inner, LiveTimeline timeline) : IHttpResponseFeature
{
    public IHttpResponseFeature Inner => inner;

    public int StatusCode
    {
        get => inner.StatusCode;
        set => inner.StatusCode = value;
    }

    public string? ReasonPhrase
    {
        get => inner.ReasonPhrase;
        set => inner.ReasonPhrase = value;
    }

    public IHeaderDictionary Headers
    {
        get => inner.Headers;
        set => inner.Headers = value;
    }

    [Obsolete("Use IHttpResponseBodyFeature.Stream instead.")]
    public Stream Body
    {
        get => inner.Body;
        set => inner.Body = value;
    }

    public bool HasStarted => inner.HasStarted;

    public void OnStarting(Func<object, Task> callback, object state) => inner.OnStarting(callback, state);

    public void OnCompleted(Func<object, Task> callback, object state) =>
        inner.OnCompleted(static s =>
        {
            var (timeline, callback, state) = ((LiveTimeline, Func<object, Task>, object))s;
            return RequestCodeFollower.RunAsync(timeline, callback, state);
        }, (timeline, callback, state));
}
