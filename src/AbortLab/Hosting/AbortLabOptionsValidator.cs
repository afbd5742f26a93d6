using Microsoft.Extensions.Options;

namespace AbortLab.Hosting;

[OptionsValidator]
internal sealed partial class AbortLabOptionsValidator : IValidateOptions<AbortLabOptions>
{
}
