namespace AbortLab;

/// <summary>
/// Tells the exceptions an abort makes code throw from the ones that are real failures.
/// </summary>
internal static class AbortExceptions
{
    private const int MaxDepth = 8;

    /// <summary>
    /// True when <paramref name="exception"/>, or one it wraps, is what an abort makes code throw: a cancellation,
    /// an I/O error on the connection, or Kestrel's "unexpected end of request content".
    /// </summary>
    public static bool IsCausedByAbort(Exception exception)
    {
        for (var (current, depth) = (exception, 0); current is not null && depth < MaxDepth; current = current.InnerException, depth++)
        {
            switch (current)
            {
                // Kestrel's BadHttpRequestException ("unexpected end of request content") is an IOException too.
                case OperationCanceledException:
                case IOException:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Count > 0:
                    return aggregate.InnerExceptions.All(IsCausedByAbort);
            }
        }

        return false;
    }
}
