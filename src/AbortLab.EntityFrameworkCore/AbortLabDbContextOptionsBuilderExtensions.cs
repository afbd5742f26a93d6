using AbortLab.EntityFrameworkCore;

namespace Microsoft.EntityFrameworkCore;

/// <summary>
/// Ties EF Core's commands to the request's <see cref="AbortLab.AbortScope"/>.
/// </summary>
public static class AbortLabDbContextOptionsBuilderExtensions
{
    /// <summary>
    /// Makes every command of this context that runs inside a request with an <see cref="AbortLab.AbortScope"/>
    /// stop when the request is aborted, even when the calling code passed no token; records each command as
    /// tracked work on the request's timeline, named by its operation (never its text or parameters); and ends an
    /// aborted command with an <see cref="OperationCanceledException"/>, so that EF Core logs it as canceled (Debug),
    /// not as a failure. SQLite is interrupted from inside the running statement (a progress handler, removed when
    /// the command ends); other providers get a token linked to the scope's, and <see cref="System.Data.Common.DbCommand.Cancel"/>
    /// while a reader is read synchronously. Works with context pooling: the interceptor keeps no state per context.
    /// </summary>
    /// <param name="optionsBuilder">The context's options, after the provider's <c>Use…</c> call.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static DbContextOptionsBuilder UseAbortLab(this DbContextOptionsBuilder optionsBuilder)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        return optionsBuilder.AddInterceptors(AbortScopeCommandInterceptor.Instance);
    }

    /// <summary>
    /// Makes every command of this context stop when the request is aborted; see
    /// <see cref="UseAbortLab(DbContextOptionsBuilder)"/>.
    /// </summary>
    /// <typeparam name="TContext">The context type.</typeparam>
    /// <param name="optionsBuilder">The context's options, after the provider's <c>Use…</c> call.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static DbContextOptionsBuilder<TContext> UseAbortLab<TContext>(this DbContextOptionsBuilder<TContext> optionsBuilder)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        return optionsBuilder.AddInterceptors(AbortScopeCommandInterceptor.Instance);
    }
}
