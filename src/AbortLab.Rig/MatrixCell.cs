using AbortLab.Playwright;

namespace AbortLab.Rig;

/// <summary>One cell of the matrix: a kind of abort fired at one path.</summary>
internal sealed record MatrixCell(string Name, AbortRequest Request);
