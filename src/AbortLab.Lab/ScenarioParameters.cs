using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace AbortLab.Lab;

/// <summary>
/// Reads a scenario's whole-number query parameter; a bad one gets a 400 with a problem-details body.
/// </summary>
internal static class ScenarioParameters
{
    public const int MaxMilliseconds = 600_000;

    public static bool TryRead(HttpContext context, string name, int defaultValue, int min, int max, out int value, out IResult? problem)
    {
        problem = null;
        value = defaultValue;
        var raw = context.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return true;
        }

        if (int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }

        problem = Results.ValidationProblem(
            new Dictionary<string, string[]> { [name] = [$"'{name}' must be a whole number from {min} to {max}; got '{raw}'."] },
            title: "Invalid scenario parameter");
        return false;
    }
}
