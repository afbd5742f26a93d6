using Xunit;

namespace AbortLab.Playwright;

/// <summary>
/// An xUnit fixture that launches one <see cref="AbortRig"/> for a test class (<c>IClassFixture&lt;T&gt;</c>) or a
/// collection (<c>ICollectionFixture&lt;T&gt;</c>) and closes it afterwards. Derive from it to start your app
/// (on real Kestrel) and say where it listens; by default it reads the address from <c>ABORTLAB_RIG_URL</c>.
/// </summary>
public class AbortRigFixture : IAsyncLifetime
{
    /// <summary>The environment variable the default <see cref="CreateOptionsAsync"/> reads the app's address from.</summary>
    public const string UrlVariable = "ABORTLAB_RIG_URL";

    /// <summary>The environment variable that overrides <see cref="DefaultArtifactsDirectory"/>.</summary>
    public const string ArtifactsVariable = "ABORTLAB_ARTIFACTS";

    private AbortRig? _rig;

    /// <summary>
    /// Gets the folder that keeps the trace and screenshot of every failed verdict: <c>ABORTLAB_ARTIFACTS</c> if set,
    /// else <c>TestResults/abortlab-rig</c> under the test project (next to what <c>dotnet test</c> writes there), never
    /// under <c>bin/</c>.
    /// </summary>
    public static string DefaultArtifactsDirectory { get; } = FindArtifactsDirectory();

    /// <summary>Gets the running rig.</summary>
    /// <exception cref="InvalidOperationException">The fixture has not been initialized (used outside xUnit).</exception>
    public AbortRig Rig => _rig ?? throw new InvalidOperationException($"The {GetType().Name} has not been initialized: use it as an xUnit class or collection fixture.");

    /// <summary>Fires one abort with the fixture's rig; see <see cref="AbortRig.FireAsync"/>.</summary>
    /// <param name="request">What to fire.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The verdict.</returns>
    public Task<AbortVerdict> FireAsync(AbortRequest request, CancellationToken cancellationToken = default) => Rig.FireAsync(request, cancellationToken);

    /// <summary>Starts the app (in the override) and launches the rig against it.</summary>
    /// <returns>A task that completes when the rig is ready.</returns>
    public async Task InitializeAsync()
    {
        var options = await CreateOptionsAsync();
        options.ArtifactsDirectory ??= DefaultArtifactsDirectory;
        _rig = await AbortRig.LaunchAsync(options);
    }

    /// <summary>
    /// Sweeps the records of every abort once more (<see cref="AbortRig.SweepAsync"/>), closes the rig, then stops the
    /// app (<see cref="StopAppAsync"/>).
    /// </summary>
    /// <returns>A task that completes when both are gone.</returns>
    /// <exception cref="AbortRigException">A request wrote, logged an error or ran code after its verdict was given; the message names each.</exception>
    public async Task DisposeAsync()
    {
        IReadOnlyList<AbortVerdict> late = [];
        if (_rig is not null)
        {
            try
            {
                late = await _rig.SweepAsync();
            }
            finally
            {
                await _rig.DisposeAsync();
            }
        }

        await StopAppAsync();
        GC.SuppressFinalize(this);
        if (late.Count > 0)
        {
            throw new AbortRigException(
                $"{late.Count} abort{(late.Count == 1 ? string.Empty : "s")} passed when judged but failed later, once the app's records were read again: "
                + string.Join(" ", late.Select(v => $"[{v.Kind} {v.Url.PathAndQuery}: {string.Join(" ", v.Failures)}]")));
        }
    }

    /// <summary>
    /// Starts the app under test if the fixture owns it, and returns the rig's options. The default reads the app's
    /// address from <c>ABORTLAB_RIG_URL</c>, for an app started outside the tests.
    /// </summary>
    /// <returns>The rig's options; <see cref="AbortRigOptions.ArtifactsDirectory"/> defaults to <see cref="DefaultArtifactsDirectory"/>.</returns>
    /// <exception cref="InvalidOperationException">The variable is not set to an absolute address.</exception>
    protected virtual Task<AbortRigOptions> CreateOptionsAsync()
    {
        var url = Environment.GetEnvironmentVariable(UrlVariable);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var address))
        {
            throw new InvalidOperationException(
                $"{GetType().Name} does not know where the app is: set {UrlVariable} to its address (such as http://127.0.0.1:5000/), "
                + $"or derive from {nameof(AbortRigFixture)} and override {nameof(CreateOptionsAsync)} to start the app and return its address.");
        }

        return Task.FromResult(new AbortRigOptions { BaseAddress = address });
    }

    /// <summary>Stops the app the fixture started, once the rig is closed. The default does nothing.</summary>
    /// <returns>A task that completes when the app has stopped.</returns>
    protected virtual Task StopAppAsync() => Task.CompletedTask;

    private static string FindArtifactsDirectory()
    {
        if (Environment.GetEnvironmentVariable(ArtifactsVariable) is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        // The test project's folder: the first one above the output folder (bin/Debug/net10.0) holding a project file.
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (directory.EnumerateFiles("*.*proj").Any())
            {
                return Path.Combine(directory.FullName, "TestResults", "abortlab-rig");
            }
        }

        return Path.Combine(Directory.GetCurrentDirectory(), "TestResults", "abortlab-rig");
    }
}
