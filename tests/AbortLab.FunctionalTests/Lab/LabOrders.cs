using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace AbortLab.FunctionalTests.Lab;

/// <summary>Keyed orders sent to a lab (<c>POST /lab/order</c>) and what each answer says happened to the key.</summary>
internal static class LabOrders
{
    public const string Ran = "ran";
    public const string Replayed = "replayed";
    public const string CommittedResponseLost = "committed, response lost";
    public const string InProgress = "in progress";
    public const string ConnectionLost = "connection lost";
    public const string TakenOver = "taken over";

    /// <summary>A retry is the same request: same target (the commit delay is part of it), same body, same key.</summary>
    public static Task<HttpResponseMessage> SendAsync(HttpClient http, string key, int commitDelayMs)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/lab/order?commitDelayMs={commitDelayMs}")
        {
            Content = new StringContent("{\"item\":\"keyed\"}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return http.SendAsync(request);
    }

    /// <summary>Sends the order and names its outcome; <see cref="ConnectionLost"/> when the process died under it.</summary>
    public static async Task<string> OutcomeAsync(HttpClient http, string key, int commitDelayMs)
    {
        try
        {
            using var response = await SendAsync(http, key, commitDelayMs);
            return await OutcomeAsync(response);
        }
        catch (HttpRequestException)
        {
            return ConnectionLost;
        }
    }

    public static async Task<string> OutcomeAsync(HttpResponseMessage response)
    {
        if (response.StatusCode == HttpStatusCode.Created)
        {
            return response.Headers.Contains("Idempotency-Replayed") ? Replayed : Ran;
        }

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return problem.GetProperty("type").GetString() == "urn:abortlab:idempotency:committed-response-lost"
            ? CommittedResponseLost
            : problem.GetProperty("title").GetString() == "Request in progress"
                ? InProgress
                : problem.GetProperty("title").GetString() == "Key taken over"
                ? TakenOver
                : $"{((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)} {problem}";
    }

    public static string Summary(IEnumerable<string> outcomes) =>
        string.Join(", ", outcomes.GroupBy(o => o).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));

    /// <summary>How many orders each key made, as the database holds them (disposes of <paramref name="connection"/>).</summary>
    public static async Task<Dictionary<string, long>> RowsPerKeyAsync(DbConnection connection)
    {
        await using (connection)
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT idempotency_key, count(*) FROM lab_orders WHERE idempotency_key IS NOT NULL GROUP BY idempotency_key";
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new Dictionary<string, long>();
            while (await reader.ReadAsync())
            {
                rows[reader.GetString(0)] = reader.GetInt64(1);
            }

            return rows;
        }
    }
}
