using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Reflection;

namespace AbortLab.Sensors;

/// <summary>
/// Sees outgoing HTTP calls and database commands as they start, whatever client started them, and records on the
/// calling request's timeline those that start after its abort: side effects its client no longer waits for. Before
/// an abort it records nothing. The listeners are process-wide and started once.
/// </summary>
internal static class OperationAfterAbortSensor
{
    private const string EntityFrameworkListener = "Microsoft.EntityFrameworkCore";
    private const string EntityFrameworkCommandExecuting = "Microsoft.EntityFrameworkCore.Database.Command.CommandExecuting";
    private const string SqlClientListener = "SqlClientDiagnosticListener";
    private const string SqlClientCommandBefore = "Microsoft.Data.SqlClient.WriteCommandBefore";

    private const string HttpSource = "System.Net.Http";

    private static readonly Dictionary<string, string> Sources = new(StringComparer.Ordinal)
    {
        [HttpSource] = "http",
        ["Npgsql"] = "db",
        ["Grpc.Net.Client"] = "grpc",
    };

    private static readonly ConcurrentDictionary<Type, PropertyInfo?> CommandProperties = new();
    private static int _started;

    public static void EnsureStarted()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            return;
        }

        ActivitySource.AddActivityListener(new ActivityListener
        {
            ShouldListenTo = static source => Sources.ContainsKey(source.Name),
            // An activity only inside a request already aborted: elsewhere the sensor changes nothing (no activity,
            // no traceparent header that the app did not ask for).
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) =>
                RequestTimelineLocator.Current() is { AbortedAt: not null } ? ActivitySamplingResult.AllData : ActivitySamplingResult.None,
            // The client names the activity (GET, POST) only once it started: the name is read when the record is.
            ActivityStarted = static activity => RequestTimelineLocator.Current()?.RecordOperationIfAborted(
                activity.Source.Name,
                activity.Source.Name == HttpSource ? Sources[HttpSource] : $"{Sources[activity.Source.Name]} {activity.DisplayName}",
                activity.Source.Name == HttpSource ? activity : null),
        });
        DiagnosticListener.AllListeners.Subscribe(new ListenerObserver());
    }

    /// <summary>The command's verb (SELECT, INSERT …): never its text, which may hold values.</summary>
    internal static string VerbOf(string? commandText)
    {
        var text = commandText.AsSpan().TrimStart();
        var length = 0;
        while (length < text.Length && length < 16 && char.IsAsciiLetter(text[length]))
        {
            length++;
        }

        return length == 0 ? "command" : text[..length].ToString().ToUpperInvariant();
    }

    private static DbCommand? CommandOf(object? payload)
    {
        if (payload is null)
        {
            return null;
        }

        var property = CommandProperties.GetOrAdd(payload.GetType(), static type => type.GetProperty("Command", BindingFlags.Public | BindingFlags.Instance));
        return property?.GetValue(payload) as DbCommand;
    }

    private sealed class ListenerObserver : IObserver<DiagnosticListener>
    {
        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == EntityFrameworkListener)
            {
                listener.Subscribe(new CommandObserver(EntityFrameworkListener), static name => name == EntityFrameworkCommandExecuting);
            }
            else if (listener.Name == SqlClientListener)
            {
                listener.Subscribe(new CommandObserver(SqlClientListener), static name => name == SqlClientCommandBefore);
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }

    private sealed class CommandObserver(string source) : IObserver<KeyValuePair<string, object?>>
    {
        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (RequestTimelineLocator.Current() is { AbortedAt: not null } timeline)
            {
                timeline.RecordOperationIfAborted(source, $"db {VerbOf(CommandOf(value.Value)?.CommandText)}");
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }
}
