using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AbortLab.Idempotency;

/// <summary>
/// Runs a request with an <c>Idempotency-Key</c> at most once: the key is claimed in the store before the endpoint
/// runs; a duplicate in flight gets 409 (or waits), a retry after completion gets the stored response replayed, the
/// same key with another request gets 422. A store that cannot answer gets 503: never a second execution.
/// </summary>
internal sealed class IdempotencyMiddleware
{
    private static readonly TimeSpan StoreWriteTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan InFlightPollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>The problem type of a retry whose key committed before its response was lost.</summary>
    internal const string CommittedResponseLostType = "urn:abortlab:idempotency:committed-response-lost";

    private readonly RequestDelegate _next;
    private readonly IIdempotencyStore _store;
    private readonly IOptionsMonitor<IdempotencyOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public IdempotencyMiddleware(RequestDelegate next, IIdempotencyStore store, IOptionsMonitor<IdempotencyOptions> options, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        _next = next;
        _store = store;
        _options = options;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger("AbortLab.Idempotency");
    }

    public Task InvokeAsync(HttpContext context)
    {
        var options = _options.CurrentValue;
        if (context.GetEndpoint()?.Metadata.GetMetadata<IdempotentEndpointMetadata>() is null ||
            !context.Request.Headers.TryGetValue(options.HeaderName, out var header) || header.Count == 0)
        {
            return _next(context);
        }

        return InvokeCoreAsync(context, header.ToString(), options);
    }

    private async Task InvokeCoreAsync(HttpContext context, string header, IdempotencyOptions options)
    {
        var key = header.Trim().Trim('"');
        if (key.Length == 0 || key.Length > options.MaxKeyLength || key.Any(c => c < 0x21 || c > 0x7E))
        {
            await Problem(context, StatusCodes.Status400BadRequest, "Invalid Idempotency-Key", $"The key must be 1 to {options.MaxKeyLength} visible ASCII characters.");
            return;
        }

        var fingerprint = await FingerprintAsync(context, options);
        if (fingerprint is null)
        {
            await Problem(context, StatusCodes.Status413PayloadTooLarge, "Request too large for an idempotent request", $"Idempotent requests are limited to {options.MaxBodyBytes} bytes.");
            return;
        }

        var owner = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        IdempotencyClaim claim;
        try
        {
            claim = await ClaimAsync(key, fingerprint, owner, options, context.RequestAborted);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // A locked or corrupt store must never lead to a second execution: refuse instead.
            IdempotencyLog.IdempotencyStoreFailed(_logger, key, exception);
            await Problem(context, StatusCodes.Status503ServiceUnavailable, "Idempotency store unavailable", "The request was not run. Retry with the same key later.");
            return;
        }

        switch (claim.Status)
        {
            case IdempotencyClaimStatus.Completed:
                await ReplayAsync(context, claim.Response!);
                return;
            case IdempotencyClaimStatus.InProgress:
                context.Response.Headers.RetryAfter = "1";
                await Problem(context, StatusCodes.Status409Conflict, "Request in progress", "A request with this Idempotency-Key is still running.");
                return;
            case IdempotencyClaimStatus.FingerprintMismatch:
                await Problem(context, StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused", "This Idempotency-Key was used with a different request.");
                return;
            case IdempotencyClaimStatus.CommittedResponseLost:
                await Results.Problem(
                    type: CommittedResponseLostType,
                    title: "Request committed, response lost",
                    detail: "The request with this Idempotency-Key ran and committed its side effect, but the server stopped before its response was stored. It will not run again: look its outcome up instead of retrying.",
                    statusCode: StatusCodes.Status409Conflict).ExecuteAsync(context);
                return;
        }

        await RunOnceAsync(context, key, owner, options);
    }

    private async Task RunOnceAsync(HttpContext context, string key, string owner, IdempotencyOptions options)
    {
        using var feature = new IdempotencyFeature(key, owner, context, () => WriteCommitAsync(key, owner));
        using var renewal = new CancellationTokenSource();
        var renewing = RenewWhileRunningAsync(key, owner, options.Lease, renewal.Token);
        context.Features.Set<IIdempotencyFeature>(feature);
        var originalBody = context.Features.Get<IHttpResponseBodyFeature>()!;
        using var buffer = new MemoryStream();
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(buffer, originalBody));
        Exception? failure = null;
        try
        {
            await _next(context);
        }
        catch (Exception exception)
        {
            failure = exception;
        }
        finally
        {
            context.Features.Set(originalBody);
            feature.Dispose();
            await feature.CommitWritten;
            await renewal.CancelAsync();
            await renewing;
        }

        // The store is written even if the client left: a token of its own, with a deadline.
        using var storeDeadline = new CancellationTokenSource(StoreWriteTimeout, _timeProvider);
        // A server error before the commit mark is a failure the client may retry, not an answer to replay: a 503
        // from a database that was briefly unreachable must not become the key's answer for a day.
        var completed = failure is null && !context.RequestAborted.IsCancellationRequested && context.Response.StatusCode < 500;
        if (completed || feature.IsCommitted)
        {
            var body = buffer.Length <= options.MaxBodyBytes ? buffer.ToArray() : [];
            var status = failure is not null && context.Response.StatusCode < 400 ? StatusCodes.Status200OK : context.Response.StatusCode;
            await _store.CompleteAsync(key, owner, new StoredResponse(status, context.Response.ContentType, body), storeDeadline.Token);
        }
        else
        {
            await _store.ReleaseAsync(key, owner, storeDeadline.Token);
        }

        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    /// <summary>Keeps the claim's lease alive while the request runs: three renewals per lease, so one slow write is no loss.</summary>
    private async Task RenewWhileRunningAsync(string key, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(lease / 3, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    if (!await _store.RenewAsync(key, owner, lease, cancellationToken))
                    {
                        IdempotencyLog.IdempotencyLeaseLost(_logger, key);
                        return;
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    IdempotencyLog.IdempotencyLeaseRenewalFailed(_logger, key, exception);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The request is over.
        }
    }

    private async Task WriteCommitAsync(string key, string owner)
    {
        // The commit stands whether or not the client is still there: a token of its own, with a deadline.
        using var deadline = new CancellationTokenSource(StoreWriteTimeout, _timeProvider);
        try
        {
            await _store.MarkCommittedAsync(key, owner, deadline.Token);
        }
        catch (Exception exception)
        {
            // The response is still stored at the end; only a crash before that could lose it.
            IdempotencyLog.IdempotencyStoreFailed(_logger, key, exception);
        }
    }

    private async ValueTask<IdempotencyClaim> ClaimAsync(string key, string fingerprint, string owner, IdempotencyOptions options, CancellationToken cancellationToken)
    {
        var deadline = _timeProvider.GetTimestamp();
        while (true)
        {
            var claim = await _store.ClaimAsync(key, fingerprint, owner, options.Expiry, options.Lease, cancellationToken);
            if (claim.Status != IdempotencyClaimStatus.InProgress || _timeProvider.GetElapsedTime(deadline) >= options.WaitForInFlight)
            {
                return claim;
            }

            // A shared store has no notifications: ask again shortly.
            await Task.Delay(InFlightPollInterval, _timeProvider, cancellationToken);
        }
    }

    private static async Task<string?> FingerprintAsync(HttpContext context, IdempotencyOptions options)
    {
        var request = context.Request;
        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: options.MaxBodyBytes);
        using var hash = StartFingerprint(request.Method, $"{request.Path}{request.QueryString}");
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                hash.AppendData(chunk, 0, read);
            }
        }
        catch (IOException) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Past the buffer limit.
            return null;
        }

        request.Body.Position = 0;
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The fingerprint of a request with this method, target and body, as the middleware computes it.</summary>
    internal static string FingerprintOf(string method, string pathAndQuery, ReadOnlySpan<byte> body)
    {
        using var hash = StartFingerprint(method, pathAndQuery);
        hash.AppendData(body);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static IncrementalHash StartFingerprint(string method, string pathAndQuery)
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{method}\n{pathAndQuery}\n"));
        return hash;
    }

    private static async Task ReplayAsync(HttpContext context, StoredResponse response)
    {
        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = response.ContentType;
        context.Response.Headers["Idempotency-Replayed"] = "true";
        context.Response.ContentLength = response.Body.Length;
        await context.Response.Body.WriteAsync(response.Body, context.RequestAborted);
    }

    private static Task Problem(HttpContext context, int statusCode, string title, string detail) =>
        Results.Problem(title: title, detail: detail, statusCode: statusCode).ExecuteAsync(context);
}
