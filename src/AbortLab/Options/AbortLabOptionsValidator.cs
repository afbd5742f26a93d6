using Microsoft.Extensions.Options;

namespace AbortLab;

[OptionsValidator]
internal sealed partial class AbortLabOptionsValidator : IValidateOptions<AbortLabOptions>
{
}
