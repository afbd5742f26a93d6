using AbortLab.Sensors;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AbortLab.Hosting;

/// <summary>
/// Starts the process-wide listeners of <see cref="OperationAfterAbortSensor"/> with the host, when
/// <see cref="SensorOptions.RecordOperationsAfterAbort"/> is on: a host's start is where process-wide state begins,
/// not a middleware's constructor, which a pipeline may run several times or never. Wiring, so it lives with hosting.
/// </summary>
internal sealed class OperationSensorStarter(IOptionsMonitor<AbortLabOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.CurrentValue.Sensors.RecordOperationsAfterAbort)
        {
            OperationAfterAbortSensor.EnsureStarted();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
