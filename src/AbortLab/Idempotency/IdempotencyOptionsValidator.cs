using Microsoft.Extensions.Options;

namespace AbortLab;

[OptionsValidator]
internal sealed partial class IdempotencyOptionsValidator : IValidateOptions<IdempotencyOptions>
{
}
