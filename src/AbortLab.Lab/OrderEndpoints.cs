using AbortLab.Idempotency;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Routing;
using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AbortLab.Lab;

/// <summary>
/// The idempotent order: its side effect (a row in the lab's database) and its idempotency keys live in the same
/// database, so several lab processes sharing a data folder, or one PostgreSQL server, run each keyed order exactly
/// once, and a crash between the order and its response never runs it again. The table is made by
/// <see cref="LabDatabase"/> at start-up.
/// </summary>
internal static class OrderEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints, LabDatabase database)
    {
        // The body, when there is one, must be an order ({"item": "..."}): anything else is a 400, never an order.
        endpoints.MapPost("/lab/order", async (HttpContext context, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] LabOrderRequest? request) =>
        {
            // A delay before the commit leaves time to abort the request and retry it with the same key.
            if (!ScenarioParameters.TryRead(context, "commitDelayMs", 0, 0, ScenarioParameters.MaxMilliseconds, out var delay, out var problem))
            {
                return problem!;
            }

            var scope = context.GetAbortScope();
            await scope.RunAsync("before-commit", token => Task.Delay(delay, token));
            var idempotency = context.Features.Get<IIdempotencyFeature>();
            long? order;
            try
            {
                order = await InsertOrderAsync(scope, database, idempotency);
            }
            catch (DbException exception) when (!context.RequestAborted.IsCancellationRequested)
            {
                // A 5xx before the commit mark is not stored, so a retry with the same key runs the order again.
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OrderEndpoints))
                    .LogWarning(exception, "The order could not be written: the database refused it");
                return Results.Problem(
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "Database unavailable",
                    detail: "The order was not made. Retry with the same Idempotency-Key.");
            }

            if (order is null)
            {
                return Results.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "Key taken over",
                    detail: "This attempt stalled past its lease and another request now holds the Idempotency-Key; this attempt made no order. Retry with the same key to learn the outcome.");
            }

            idempotency?.MarkCommitted();
            return Results.Json(new { order, process = Environment.ProcessId }, statusCode: StatusCodes.Status201Created);
        }).WithIdempotency();

        endpoints.MapGet("/lab/order/count", async (HttpContext context) =>
        {
            await using var connection = database.CreateConnection();
            await connection.OpenAsync(context.RequestAborted);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM lab_orders";
            return Results.Json(new { count = Convert.ToInt64(await command.ExecuteScalarAsync(context.RequestAborted), System.Globalization.CultureInfo.InvariantCulture) });
        });
    }

    // Null when the key's commit mark found another owner: this attempt's lease ran out and the key was taken over, so
    // its order is rolled back rather than written a second time.
    private static Task<long?> InsertOrderAsync(AbortScope scope, LabDatabase database, IIdempotencyFeature? idempotency) =>
        scope.RunAsync("insert-order", async token =>
        {
            await using var connection = database.CreateConnection();
            await connection.OpenAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO lab_orders (idempotency_key, process) VALUES (@key, @process) RETURNING id";
            AddParameter(command, "@key", (object?)idempotency?.Key ?? DBNull.Value);
            AddParameter(command, "@process", Environment.ProcessId);
            var id = Convert.ToInt64(await command.ExecuteScalarAsync(token), System.Globalization.CultureInfo.InvariantCulture);
            if (idempotency is not null)
            {
                // The order and its key's commit mark are durable together: no crash can leave an order whose key
                // a retry would run again.
                await using var mark = database.CreateMarkCommittedCommand(connection, idempotency.Key, idempotency.Owner);
                mark.Transaction = transaction;
                if (await mark.ExecuteNonQueryAsync(token) != 1)
                {
                    await transaction.RollbackAsync(token);
                    return (long?)null;
                }
            }

            await transaction.CommitAsync(token);
            return (long?)id;
        });

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
