namespace AbortLab.Lab;

/// <summary>The lab's SQLite file cannot be used.</summary>
internal sealed class LabDatabaseException(string path, string why, Exception? inner = null)
    : Exception($"The lab's database '{path}' cannot be used: {why}. Move it away, or choose another folder with --Lab:DataDirectory=<folder>.", inner);
