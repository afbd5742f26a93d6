namespace AbortLab.Rig;

/// <summary>The command line or the matrix is wrong: the tool says what and exits with 2.</summary>
internal sealed class RigUsageException(string message) : Exception(message);
