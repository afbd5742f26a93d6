using Microsoft.EntityFrameworkCore;

namespace AbortLab.FunctionalTests.EntityFrameworkCore;

/// <summary>The shop of the new user: one table, enough to write a row and to run slow queries.</summary>
public sealed class ShopContext(DbContextOptions<ShopContext> options) : DbContext(options)
{
    public DbSet<Item> Items => Set<Item>();
}

public sealed class Item
{
    public int Id { get; set; }

    public required string Name { get; set; }
}
