using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AbortLab.EntityFrameworkCore;

/// <summary>
/// The name a command's tracked work gets: what EF Core ran it for and its first SQL keyword ("db SaveChanges
/// INSERT"). Never the text past that keyword, nor parameters: a timeline is shown on a dashboard.
/// </summary>
internal static class CommandName
{
    public static string Of(DbCommand command, CommandSource source) => $"db {source} {FirstKeyword(command.CommandText)}";

    internal static string FirstKeyword(string? text)
    {
        var span = (text ?? string.Empty).AsSpan();
        while (true)
        {
            span = span.TrimStart();
            if (span.StartsWith("--", StringComparison.Ordinal))
            {
                // EF Core writes TagWith as line comments before the statement.
                var end = span.IndexOfAny('\r', '\n');
                span = end < 0 ? [] : span[end..];
                continue;
            }

            if (span.StartsWith("/*", StringComparison.Ordinal))
            {
                var end = span.IndexOf("*/", StringComparison.Ordinal);
                span = end < 0 ? [] : span[(end + 2)..];
                continue;
            }

            break;
        }

        var length = 0;
        while (length < span.Length && length < 16 && char.IsAsciiLetter(span[length]))
        {
            length++;
        }

        return length == 0 ? "command" : span[..length].ToString().ToUpperInvariant();
    }
}
