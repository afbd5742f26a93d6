using System.Text.Json;
using System.Text.Json.Serialization;
using AbortLab.Playwright;

namespace AbortLab.Rig;

/// <summary>
/// A matrix as JSON: <c>{"cells": [{"kinds": ["FetchBeforeResponse", "PageClose"], "paths": ["/slow"], "hops": ["app"]}]}</c>.
/// Each entry crosses its kinds with its paths; <c>kind</c> and <c>path</c> name a single one. <c>hops</c>, <c>method</c>,
/// <c>headers</c>, <c>body</c> and <c>deadlineSeconds</c> are optional and apply to every cell of the entry.
/// </summary>
internal static class MatrixFile
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static IReadOnlyList<MatrixCell> Load(string path)
    {
        Document? document;
        try
        {
            using var stream = File.OpenRead(path);
            document = JsonSerializer.Deserialize<Document>(stream, JsonOptions);
        }
        catch (JsonException exception)
        {
            throw new RigUsageException($"{path} is not a matrix: {exception.Message}");
        }
        catch (IOException exception)
        {
            throw new RigUsageException($"cannot read the matrix {path}: {exception.Message}");
        }

        if (document?.Cells is not { Count: > 0 } entries)
        {
            throw new RigUsageException($"{path} has no cells: write {{\"cells\": [{{\"kind\": \"FetchBeforeResponse\", \"path\": \"/slow\"}}]}}.");
        }

        return [.. entries.SelectMany((entry, index) => Expand(entry, $"{path} cells[{index}]"))];
    }

    public static IEnumerable<MatrixCell> Expand(Entry entry, string where)
    {
        var kinds = entry.Kinds ?? (entry.Kind is null ? [] : [entry.Kind]);
        var paths = entry.Paths ?? (entry.Path is null ? [] : [entry.Path]);
        if (kinds.Count == 0 || paths.Count == 0)
        {
            throw new RigUsageException($"{where} needs a kind (or kinds) and a path (or paths).");
        }

        foreach (var kindName in kinds)
        {
            if (!Enum.TryParse<AbortKind>(kindName, ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
            {
                throw new RigUsageException($"{where}: '{kindName}' is not an abort kind; the kinds are {string.Join(", ", Enum.GetNames<AbortKind>())}.");
            }

            foreach (var path in paths)
            {
                AbortRequest request;
                try
                {
                    request = new AbortRequest(kind, path)
                    {
                        ExpectedHops = entry.Hops ?? [],
                        Method = entry.Method,
                        Headers = entry.Headers ?? new Dictionary<string, string>(),
                        Body = entry.Body,
                        Deadline = entry.DeadlineSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                    };
                    request.Validate();
                }
                catch (ArgumentException exception)
                {
                    throw new RigUsageException($"{where}: {exception.Message}");
                }

                yield return new MatrixCell($"{kind} {path}", request);
            }
        }
    }

    internal sealed record Document(IReadOnlyList<Entry>? Cells, [property: JsonPropertyName("$comment")] string? Comment = null);

    internal sealed record Entry(
        string? Kind = null,
        IReadOnlyList<string>? Kinds = null,
        string? Path = null,
        IReadOnlyList<string>? Paths = null,
        IReadOnlyList<string>? Hops = null,
        string? Method = null,
        IReadOnlyDictionary<string, string>? Headers = null,
        string? Body = null,
        double? DeadlineSeconds = null,
        [property: JsonPropertyName("$comment")] string? Comment = null);
}
