namespace AbortLab;

/// <summary>A live scope's place in its <see cref="LiveScopeRegistry"/> list, kept in the scope itself.</summary>
/// <remarks>A scope is linked when it has a previous scope or heads its list: no flag to store.</remarks>
internal readonly record struct LiveLinks(AbortScope? Previous, AbortScope? Next);
