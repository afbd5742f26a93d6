using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AbortLab.Lab;

/// <summary>
/// A certificate for the edge's HTTPS endpoint, made at start-up when none is configured: valid for localhost and
/// 127.0.0.1, for a week. Browsers will warn about it; the rig launches Chromium with the certificate error ignored.
/// </summary>
internal static class SelfSignedCertificate
{
    public static X509Certificate2 Create(TimeProvider timeProvider)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=AbortLab Lab", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));

        var now = timeProvider.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(7));

        // Re-imported so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), password: null);
    }
}
