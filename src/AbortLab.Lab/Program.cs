using System.Net.Sockets;
using AbortLab.Lab;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Configuration;

var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();

var options = new LabOptions();
configuration.GetSection("Lab").Bind(options);
var problems = options.Validate().ToList();
if (problems.Count > 0)
{
    foreach (var problem in problems)
    {
        Console.Error.WriteLine($"AbortLab.Lab: {problem}");
    }

    return 2;
}

LabTopology topology;
try
{
    topology = await LabTopology.StartAsync(options, configuration);
}
catch (LabDatabaseException exception)
{
    Console.Error.WriteLine($"AbortLab.Lab: {exception.Message}");
    return 2;
}
catch (IOException exception) when (exception.InnerException is AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
{
    Console.Error.WriteLine($"AbortLab.Lab: {exception.Message}");
    Console.Error.WriteLine("AbortLab.Lab: another process holds that port. Stop it, or choose other ports, for example:");
    Console.Error.WriteLine("  dotnet run --project src/AbortLab.Lab -- --Lab:Edge:HttpPort=6080 --Lab:Edge:HttpsPort=6443 --Lab:App:Port=6081 --Lab:Backend:Port=6082");
    return 3;
}

await using (topology)
{
    Console.WriteLine("AbortLab lab is running:");
    Console.WriteLine($"  lab page   {topology.EdgeHttp}");
    Console.WriteLine($"  dashboard  {topology.EdgeHttp}abortlab/");
    Console.WriteLine($"  edge       {topology.EdgeHttp} and {topology.EdgeHttps} (HTTP/2, self-signed unless Lab:CertificatePath is set)");
    Console.WriteLine($"  app        {topology.App}");
    Console.WriteLine($"  backend    {topology.Backend}");
    Console.WriteLine($"  database   {topology.Database.Description}");
    Console.WriteLine("Press Ctrl+C to stop.");

    var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, context =>
    {
        context.Cancel = true;
        stopped.TrySetResult();
    });
    using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        stopped.TrySetResult();
    });
    await stopped.Task;
    Console.WriteLine("Stopping...");
}

return 0;
