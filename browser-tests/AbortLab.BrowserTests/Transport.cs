namespace AbortLab.BrowserTests;

/// <summary>How the browser reaches the lab: straight to the app, or through the edge proxy over HTTP/1.1 or HTTP/2.</summary>
public enum Transport
{
    Http1Direct,
    Http1Edge,
    Http2Edge,
}
