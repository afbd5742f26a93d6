using Microsoft.Data.Sqlite;

namespace AbortLab.Lab;

/// <summary>
/// The lab's SQLite file (orders, idempotency keys, the database scenario): checked and made ready before any hop
/// starts, so an unusable file stops the lab with a clear message instead of failing its requests.
/// </summary>
internal static class LabDatabase
{
    public static string PathFor(LabOptions options) => System.IO.Path.Combine(options.DataDirectory ?? System.IO.Path.GetTempPath(), "abortlab-lab.db");

    /// <summary>Opens the file, checks it, and creates the lab's tables.</summary>
    /// <exception cref="LabDatabaseException">The file cannot be used.</exception>
    public static void Prepare(string path)
    {
        try
        {
            using var connection = new SqliteConnection($"Data Source={path}");
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA quick_check";
            var result = check.ExecuteScalar() as string;
            if (!string.Equals(result, "ok", StringComparison.Ordinal))
            {
                throw new LabDatabaseException(path, $"its integrity check answered '{result}'");
            }

            using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE IF NOT EXISTS lab_orders (id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT NULL, process INTEGER NOT NULL)";
            create.ExecuteNonQuery();
        }
        catch (SqliteException exception)
        {
            throw new LabDatabaseException(path, exception.Message, exception);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }
}
