namespace AbortLab;

/// <summary>A live scope's place in its <see cref="LiveScopeRegistry"/> list, kept in the scope itself.</summary>
internal readonly record struct LiveLinks(AbortScope? Previous, AbortScope? Next, bool IsLinked);
