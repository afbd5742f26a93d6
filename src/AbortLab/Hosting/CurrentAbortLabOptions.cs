using Microsoft.Extensions.Options;

namespace AbortLab.Hosting;

/// <summary>
/// The current <see cref="AbortLabOptions"/>, taken once per change: <see cref="IOptionsMonitor{TOptions}.CurrentValue"/>
/// looks the options up in its cache on every read, and a request read them several times.
/// </summary>
/// <remarks>
/// Read first when first asked for, not when made: services are made while the host is built, and invalid options
/// must fail the host where options validation fails it, on start.
/// </remarks>
internal sealed class CurrentAbortLabOptions : IDisposable
{
    private readonly IOptionsMonitor<AbortLabOptions> _monitor;
    private readonly Lock _subscribeGate = new();
    private IDisposable? _subscription;
    private volatile AbortLabOptions? _value;

    public CurrentAbortLabOptions(IOptionsMonitor<AbortLabOptions> monitor) => _monitor = monitor;

    /// <summary>The options as <see cref="IOptionsMonitor{TOptions}.CurrentValue"/> last gave them.</summary>
    public AbortLabOptions Value => _value ?? Subscribe();

    public void Dispose()
    {
        lock (_subscribeGate)
        {
            _subscription?.Dispose();
        }
    }

    private AbortLabOptions Subscribe()
    {
        lock (_subscribeGate)
        {
            // Subscribed before the first read: a change in between is then either read here or written by the callback.
            _subscription ??= _monitor.OnChange((options, name) =>
            {
                if (string.IsNullOrEmpty(name))
                {
                    _value = options;
                }
            });
            var value = _monitor.CurrentValue;
            _value ??= value;
            return _value;
        }
    }
}
