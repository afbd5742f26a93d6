namespace AbortLab.Rig;

/// <summary>The entry point of <c>abortlab-rig</c>.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        return await RigCommand.RunAsync(args, Console.Out, Console.Error, stop.Token);
    }
}
