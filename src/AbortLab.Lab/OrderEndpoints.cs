using AbortLab.Idempotency;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;

namespace AbortLab.Lab;

/// <summary>
/// The idempotent order: its side effect (a row in the lab's SQLite file) and its idempotency keys live in the same
/// file, so several lab processes sharing a data folder run each keyed order exactly once, and a crash between the
/// order and its response never runs it again. The table is made by <see cref="LabDatabase"/> at start-up.
/// </summary>
internal static class OrderEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints, string databasePath)
    {
        var connectionString = $"Data Source={databasePath}";

        endpoints.MapPost("/lab/order", async (HttpContext context) =>
        {
            // A delay before the commit leaves time to abort the request and retry it with the same key.
            if (!ScenarioParameters.TryRead(context, "commitDelayMs", 0, 0, ScenarioParameters.MaxMilliseconds, out var delay, out var problem))
            {
                return problem!;
            }

            var scope = context.GetAbortScope();
            await scope.RunAsync("before-commit", token => Task.Delay(delay, token));
            var idempotency = context.Features.Get<IIdempotencyFeature>();
            var order = await scope.RunAsync("insert-order", async token =>
            {
                await using var connection = new SqliteConnection(connectionString);
                await connection.OpenAsync(token);
                await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(token);
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = """
                    INSERT INTO lab_orders (idempotency_key, process) VALUES ($key, $process);
                    SELECT last_insert_rowid();
                    """;
                command.Parameters.AddWithValue("$key", (object?)idempotency?.Key ?? DBNull.Value);
                command.Parameters.AddWithValue("$process", Environment.ProcessId);
                var id = (long)(await command.ExecuteScalarAsync(token))!;
                if (idempotency is not null)
                {
                    // The order and its key's commit mark are durable together: no crash can leave an order whose key
                    // a retry would run again.
                    await using var mark = SqliteIdempotencyStore.CreateMarkCommittedCommand(connection, idempotency.Key, idempotency.Owner);
                    mark.Transaction = transaction;
                    await mark.ExecuteNonQueryAsync(token);
                }

                await transaction.CommitAsync(token);
                return id;
            });
            idempotency?.MarkCommitted();
            return Results.Json(new { order, process = Environment.ProcessId }, statusCode: StatusCodes.Status201Created);
        }).WithIdempotency();

        endpoints.MapGet("/lab/order/count", async (HttpContext context) =>
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(context.RequestAborted);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM lab_orders";
            return Results.Json(new { count = (long)(await command.ExecuteScalarAsync(context.RequestAborted))! });
        });
    }
}
