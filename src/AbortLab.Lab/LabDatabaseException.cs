namespace AbortLab.Lab;

/// <summary>The lab's database (its SQLite file, or the PostgreSQL server it was given) cannot be used.</summary>
internal sealed class LabDatabaseException(string message, Exception? inner = null) : Exception(message, inner)
{
    public static LabDatabaseException ForFile(string path, string why, Exception? inner = null) =>
        new($"The lab's database '{path}' cannot be used: {why}. Move it away, or choose another folder with --Lab:DataDirectory=<folder>.", inner);
}
