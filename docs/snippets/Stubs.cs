using System.Data;

namespace AbortLab.Snippets;

// What the snippets' own code stands on: the reader's services, named as the docs name them.
public sealed class ReportService
{
    public Task<string> BuildAsync(CancellationToken token) => Task.FromResult("report");
}

public sealed record Order(int Id);

public sealed class Db
{
    public Task<int> InsertOrderAsync(Order order) => Task.FromResult(order.Id);
}

internal static class Work
{
    public static readonly DataTable DataSet = new();

    public static Task<string> RenderAsync(string data, CancellationToken token) => Task.FromResult(data);

    public static Task ExportAsync(CancellationToken token) => Task.CompletedTask;

    public static Task AuditAsync(CancellationToken token) => Task.CompletedTask;
}
