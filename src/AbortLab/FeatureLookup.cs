using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.Features;

namespace AbortLab;

/// <summary>
/// Feature reads and writes for the per-request path, through the collection's indexer. <c>Get&lt;T&gt;()</c> and
/// <c>Set&lt;T&gt;()</c> are generic methods of an interface, and each call of one is a generic virtual dispatch that
/// costs more than the lookup itself (the profile in docs/benchmarks.md); the indexer is an ordinary interface call.
/// Inlined, so that <c>typeof(T)</c> is a constant in the caller.
/// </summary>
internal static class FeatureLookup
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T? Find<T>(this IFeatureCollection features)
        where T : class => features[typeof(T)] as T;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put<T>(this IFeatureCollection features, T? feature)
        where T : class => features[typeof(T)] = feature;
}
