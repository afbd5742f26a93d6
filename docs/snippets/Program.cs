using AbortLab.Snippets;

// dotnet run --project docs/snippets sync    copies the regions into the Markdown
// dotnet run --project docs/snippets check   lists what differs (the unit tests run the same check)
var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
if (args is not ["sync"] and not ["check"])
{
    Console.Error.WriteLine("usage: dotnet run --project docs/snippets sync|check");
    return 2;
}

var problems = SnippetSync.Apply(root, write: args[0] == "sync");
foreach (var problem in problems)
{
    Console.Error.WriteLine(problem);
}

return args[0] == "check" && problems.Count > 0 ? 1 : 0;

/// <summary>The snippets' own entry point, also the <c>Program</c> of the rig's fixture example.</summary>
public partial class Program;
