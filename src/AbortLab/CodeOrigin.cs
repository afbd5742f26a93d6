using System.Diagnostics;
using System.Reflection;

namespace AbortLab;

/// <summary>
/// Names, from the calling thread's stack, what started the code about to run there (a timer, a thread, a task, a
/// continuation) and the app's own method in it. Used only on a failure path: for code of an aborted request, and for
/// the first few of them.
/// </summary>
internal static class CodeOrigin
{
    private static readonly Assembly Own = typeof(CodeOrigin).Assembly;

    // AbortLab's own integration packages: their frames are the library's, not the app's.
    private static readonly HashSet<string> Integrations = new(StringComparer.Ordinal) { "AbortLab.Yarp", "AbortLab.EntityFrameworkCore", "AbortLab.Idempotency" };

    // Task.InternalCurrent and Task.m_action are private: read when they exist, else the task stays unnamed.
    private static readonly PropertyInfo? CurrentTask = typeof(Task).GetProperty("InternalCurrent", BindingFlags.NonPublic | BindingFlags.Static);
    private static readonly FieldInfo? TaskAction = typeof(Task).GetField("m_action", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>What started the code this thread is about to run for a request.</summary>
    public static string OfArrival()
    {
        try
        {
            string? kind = null;
            foreach (var frame in new StackTrace(2, false).GetFrames())
            {
                if (frame.GetMethod() is not { DeclaringType: { } type } method)
                {
                    continue;
                }

                var name = type.FullName ?? type.Name;
                if (name.StartsWith("System.Threading.TimerQueueTimer", StringComparison.Ordinal))
                {
                    kind ??= "a timer callback";
                }
                else if (name.Contains("AsyncStateMachineBox", StringComparison.Ordinal))
                {
                    kind ??= "an async continuation";
                }
                else if (name == "System.Threading.Tasks.Task" && method.Name.StartsWith("Execute", StringComparison.Ordinal))
                {
                    kind ??= TaskDelegate() is { } code ? $"a task running {code}" : "a task";
                }
                else if (AppMethod(method) is { } app)
                {
                    return kind is null ? app : $"{kind} in {app}";
                }
            }

            // A thread's start shows no frame of its own below the context switch.
            return kind ?? (Thread.CurrentThread.IsThreadPoolThread ? "thread-pool work" : "a new thread");
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // An execution-context handler must never throw: the runtime would end the process.
            return "unknown";
        }
    }

    /// <summary>
    /// What started the code, without reading the stack: a thread of its own, or the delegate of the task the thread
    /// runs; null when neither tells. Cheap enough for every arrival of a followed request's code before its abort.
    /// </summary>
    public static string? OfArrivalWithoutStack()
    {
        try
        {
            return !Thread.CurrentThread.IsThreadPoolThread ? "a new thread" : TaskDelegate() is { } code ? $"a task running {code}" : null;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return null;
        }
    }

    /// <summary>The app's method that called in, the first frame that is not .NET's, ASP.NET Core's or AbortLab's.</summary>
    public static string? AppCaller()
    {
        try
        {
            foreach (var frame in new StackTrace(1, false).GetFrames())
            {
                if (frame.GetMethod() is { } method && AppMethod(method) is { } app)
                {
                    return app;
                }
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
        }

        return null;
    }

    /// <summary>A readable name for a method: <c>Type.Method</c>, with compiler-made lambdas and state machines undone.</summary>
    internal static string Describe(MethodBase method)
    {
        var type = method.DeclaringType;
        var name = method.Name;
        if (name == "MoveNext" && type is { Name: ['<', ..] } machine)
        {
            name = Unmangle(machine.Name);
            type = machine.DeclaringType;
        }
        else if (name.StartsWith('<'))
        {
            name = $"{Unmangle(name)} (lambda)";
        }

        while (type is { Name: ['<', ..] })
        {
            type = type.DeclaringType;
        }

        return type is null ? name : $"{type.Name}.{name}";
    }

    private static string? AppMethod(MethodBase method)
    {
        var type = method.DeclaringType;
        if (type is null || type.Assembly == Own || Integrations.Contains(type.Assembly.GetName().Name ?? string.Empty))
        {
            return null;
        }

        var ns = type.Namespace ?? string.Empty;
        return ns.StartsWith("System", StringComparison.Ordinal) || ns.StartsWith("Microsoft", StringComparison.Ordinal) || ns.StartsWith("Npgsql", StringComparison.Ordinal)
            || ns.StartsWith("Yarp", StringComparison.Ordinal) || ns.StartsWith("Grpc", StringComparison.Ordinal) || ns.StartsWith("SQLitePCL", StringComparison.Ordinal)
            ? null
            : Describe(method);
    }

    private static string? TaskDelegate() =>
        CurrentTask?.GetValue(null) is Task task && TaskAction?.GetValue(task) is Delegate action && AppMethod(action.Method) is { } app ? app : null;

    // <Name>b__1_0, <<Name>b__1_0>d: the source name is what the first '>' closes.
    private static string Unmangle(string name)
    {
        var end = name.IndexOf('>', StringComparison.Ordinal);
        if (end <= 0)
        {
            return name;
        }

        var start = name.LastIndexOf('<', end) + 1;
        return end > start ? name[start..end] : name;
    }
}
