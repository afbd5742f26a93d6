using AbortLab.Integration;
using Microsoft.AspNetCore.Http;

namespace AbortLab.Yarp;

/// <summary>
/// The tracked work of one forward, kept in the request's items from the moment the forwarder's client sends until
/// the proxy's pipeline returns, so the timeline shows when forwarding stopped, body copy included.
/// </summary>
internal static class ForwardWork
{
    private static readonly object ItemsKey = typeof(ForwardWork);

    public static void Put(HttpContext context, TrackedWork work)
    {
        // A retry replaces the attempt before it, which failed.
        if (context.Items.TryGetValue(ItemsKey, out var previous) && previous is TrackedWork earlier)
        {
            earlier.End(WorkOutcome.Faulted, "Retried");
        }

        context.Items[ItemsKey] = work;
    }

    public static TrackedWork? Take(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemsKey, out var value) && value is TrackedWork work)
        {
            context.Items.Remove(ItemsKey);
            return work;
        }

        return null;
    }
}
