using Microsoft.EntityFrameworkCore;

namespace AbortLab.Snippets;

public sealed class ShopDb(DbContextOptions<ShopDb> options) : DbContext(options)
{
    public DbSet<Product> Products => Set<Product>();
}

public sealed class Product
{
    public int Id { get; set; }

    public required string Name { get; set; }
}

internal static class DatabaseSnippets
{
    public static void Sqlite(WebApplicationBuilder builder)
    {
        #region databases-efcore
        builder.Services.AddAbortLab();
        builder.Services.AddDbContextPool<ShopDb>(o => o
            .UseSqlite("Data Source=shop.db")        // or UseNpgsql(...), or any provider
            .UseAbortLab());                         // every command stops with its request

        var app = builder.Build();
        app.UseAbortLab();
        app.MapGet("/products", async (ShopDb db) =>
            await db.Products.Where(p => p.Name.StartsWith("A")).ToListAsync());   // no token needed
        #endregion
    }

    public static void Postgres(WebApplicationBuilder builder, string connectionString)
    {
        #region databases-postgres
        builder.Services.AddDbContextPool<ShopDb>(o => o.UseNpgsql(connectionString).UseAbortLab());
        #endregion
    }
}
