using Microsoft.Extensions.Options;

namespace AbortLab.Idempotency;

[OptionsValidator]
internal sealed partial class IdempotencyOptionsValidator : IValidateOptions<IdempotencyOptions>
{
}
