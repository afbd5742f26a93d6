using Microsoft.EntityFrameworkCore;

namespace AbortLab.BrowserTests.Faults;

/// <summary>The faulty shop's orders, in a real SQLite file through EF Core.</summary>
internal sealed class ShopContext(DbContextOptions<ShopContext> options) : DbContext(options)
{
    public DbSet<Order> Orders => Set<Order>();
}

internal sealed class Order
{
    public int Id { get; set; }

    public required string Item { get; set; }
}
