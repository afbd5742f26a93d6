namespace AbortLab.Testing;

internal sealed record RawResponseHead(int StatusCode, IReadOnlyDictionary<string, string> Headers)
{
    public static RawResponseHead Parse(string head)
    {
        var lines = head.Split("\r\n");
        var statusCode = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        return new RawResponseHead(statusCode, headers);
    }
}
