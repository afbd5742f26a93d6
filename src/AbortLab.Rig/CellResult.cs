using AbortLab.Playwright;

namespace AbortLab.Rig;

/// <summary>A cell and its verdict, with how long it took.</summary>
internal sealed record CellResult(MatrixCell Cell, AbortVerdict Verdict, TimeSpan Duration);
