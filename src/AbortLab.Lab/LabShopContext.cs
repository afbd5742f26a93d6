using Microsoft.EntityFrameworkCore;

namespace AbortLab.Lab;

/// <summary>The EF Core context of the <c>/lab/db-ef</c> scenario: no tables, only the slow query it runs.</summary>
internal sealed class LabShopContext(DbContextOptions<LabShopContext> options) : DbContext(options)
{
    /// <summary>Whether the context runs on PostgreSQL (<c>Lab:Postgres:ConnectionString</c>) rather than SQLite.</summary>
    public bool IsPostgres => Database.ProviderName == "Npgsql.EntityFrameworkCore.PostgreSQL";
}
