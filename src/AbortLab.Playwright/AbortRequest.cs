namespace AbortLab.Playwright;

/// <summary>
/// One abort to fire: how the browser gives up, on which path, and which hops must see it.
/// </summary>
public sealed class AbortRequest
{
    /// <summary>Initializes a new instance of the <see cref="AbortRequest"/> class.</summary>
    /// <param name="kind">How the browser gives up on the request.</param>
    /// <param name="path">The path and query, relative to <see cref="AbortRigOptions.BaseAddress"/>.</param>
    public AbortRequest(AbortKind kind, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not an abort kind.");
        }

        Kind = kind;
        Path = path;
    }

    /// <summary>Gets how the browser gives up on the request.</summary>
    public AbortKind Kind { get; }

    /// <summary>Gets the path and query, relative to <see cref="AbortRigOptions.BaseAddress"/>.</summary>
    public string Path { get; }

    /// <summary>
    /// Gets or sets the hops (their <c>AbortLabOptions.HopName</c>) that must record the request, in order: the first
    /// is the one the browser connects to, the last the deepest. The rig waits for work on all of them before a
    /// triggered abort, and the verdict checks each.
    /// </summary>
    /// <value>Defaults to empty: whatever hops recorded the tag, the earliest being the first.</value>
    public IReadOnlyList<string> ExpectedHops { get; init; } = [];

    /// <summary>Gets or sets the tag that names the request in the server's records.</summary>
    /// <value>Defaults to <see langword="null"/>: a unique tag is made.</value>
    public string? Tag { get; init; }

    /// <summary>Gets or sets how long the server has to record the abort, overriding <see cref="AbortRigOptions.Deadline"/>.</summary>
    public TimeSpan? Deadline { get; init; }

    /// <summary>
    /// Gets or sets the request method, for the kinds that send the request with <c>fetch</c> or
    /// <c>XMLHttpRequest</c>; an <c>EventSource</c> or a <c>WebSocket</c> can only <c>GET</c>.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: <c>GET</c>, or <c>POST</c> for the upload kinds.</value>
    public string? Method { get; init; }

    /// <summary>
    /// Gets or sets request headers, for the kinds that send the request with <c>fetch</c> or <c>XMLHttpRequest</c>.
    /// Headers the browser forbids scripts to set (<c>Host</c>, <c>Connection</c>, <c>Content-Length</c> …) are refused.
    /// </summary>
    /// <value>Defaults to none.</value>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Gets or sets the request body (sent as text), for the kinds that send the request with <c>fetch</c> or
    /// <c>XMLHttpRequest</c>, but not the upload kinds, whose body is <see cref="AbortRigOptions.UploadBytes"/> long.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: no body.</value>
    public string? Body { get; init; }

    internal void Validate()
    {
        var problems = new List<string>();
        var streamKind = Kind is AbortKind.EventSourceClose or AbortKind.WebSocketClose;
        if (streamKind && (Method is not null || Headers.Count > 0 || Body is not null))
        {
            problems.Add($"{Kind} opens an {(Kind == AbortKind.EventSourceClose ? "EventSource" : "WebSocket")}, which cannot set a method, headers or a body.");
        }

        if (AbortKinds.IsUpload(Kind) && Body is not null)
        {
            problems.Add($"{Kind} sends a body of {nameof(AbortRigOptions)}.{nameof(AbortRigOptions.UploadBytes)}; {nameof(Body)} cannot be set.");
        }

        if (Method is not null && (Method.Length == 0 || !Method.All(char.IsAsciiLetter)))
        {
            problems.Add($"{nameof(Method)} must be an HTTP method such as POST (was '{Method}').");
        }

        if (Method is not null && Body is not null && (Method.Equals("GET", StringComparison.OrdinalIgnoreCase) || Method.Equals("HEAD", StringComparison.OrdinalIgnoreCase)))
        {
            problems.Add($"A {Method} request cannot have a body.");
        }

        foreach (var name in Headers.Keys.Where(IsForbiddenHeader))
        {
            problems.Add($"The browser does not let a page set the header '{name}'.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"Invalid {nameof(AbortRequest)} ({Kind} {Path}): {string.Join(" ", problems)}");
        }
    }

    // https://fetch.spec.whatwg.org/#forbidden-request-header
    private static bool IsForbiddenHeader(string name) =>
        name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Sec-", StringComparison.OrdinalIgnoreCase)
        || new[] { "Accept-Charset", "Accept-Encoding", "Access-Control-Request-Headers", "Access-Control-Request-Method", "Connection", "Content-Length", "Cookie", "Cookie2", "Date", "DNT", "Expect", "Host", "Keep-Alive", "Origin", "Referer", "Set-Cookie", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Via" }
            .Contains(name, StringComparer.OrdinalIgnoreCase);
}
