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
}
