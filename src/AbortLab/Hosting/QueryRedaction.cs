using System.Text;
using Microsoft.AspNetCore.Http;

namespace AbortLab.Hosting;

/// <summary>
/// The path and query a timeline shows: with <see cref="AbortLabOptions.RedactQueryString"/>, every query value but
/// those named in <see cref="AbortLabOptions.QueryParametersShownInClear"/> becomes <c>***</c>.
/// </summary>
internal static class QueryRedaction
{
    private const string RedactedValue = "***";

    public static string PathOf(HttpRequest request, AbortLabOptions options)
    {
        var path = (request.PathBase + request.Path).ToString();
        if (!request.QueryString.HasValue)
        {
            return path;
        }

        var query = request.QueryString.Value!;
        if (!options.RedactQueryString)
        {
            return path + query;
        }

        var builder = new StringBuilder(path).Append('?');
        var first = true;
        foreach (var range in query.AsSpan(1).Split('&'))
        {
            var parameter = query.AsSpan(1)[range];
            if (parameter.IsEmpty)
            {
                continue;
            }

            if (!first)
            {
                builder.Append('&');
            }

            first = false;
            var equals = parameter.IndexOf('=');
            var name = Decode(equals < 0 ? parameter : parameter[..equals]);
            if (IsShownInClear(name, options.QueryParametersShownInClear))
            {
                builder.Append(parameter);
            }
            else if (equals < 0)
            {
                // A parameter without a value may be a secret itself ("?sk_live_…").
                builder.Append(RedactedValue);
            }
            else
            {
                builder.Append(Uri.EscapeDataString(name)).Append('=').Append(RedactedValue);
            }
        }

        return builder.ToString();
    }

    private static string Decode(ReadOnlySpan<char> name) => Uri.UnescapeDataString(name.ToString().Replace('+', ' '));

    private static bool IsShownInClear(string name, IList<string> shownInClear)
    {
        for (var i = 0; i < shownInClear.Count; i++)
        {
            if (string.Equals(shownInClear[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
