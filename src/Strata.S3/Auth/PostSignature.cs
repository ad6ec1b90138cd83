using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Strata.Core.Auth;
using Strata.S3.Errors;

namespace Strata.S3.Auth;

/// <summary>
/// Who signed a browser POST form. The signature covers the base64 policy exactly as sent:
/// SigV4 with the signing key derived from x-amz-credential, or SigV2 (HMAC-SHA1). As everywhere
/// in Strata, the access key is the token and the token is the secret.
/// </summary>
public static class PostSignature
{
    /// <summary>The kind of signature the form carries, from its field names (lower-cased); null for an unsigned form.</summary>
    public static string? Kind(IReadOnlyDictionary<string, string> f) =>
        f.ContainsKey("x-amz-algorithm") || f.ContainsKey("x-amz-credential") || f.ContainsKey("x-amz-signature") ? "v4"
        : f.ContainsKey("awsaccesskeyid") || f.ContainsKey("signature") ? "v2"
        : null;

    public static async Task<Principal> AuthenticateAsync(IReadOnlyDictionary<string, string> f, IAccessStore access, CancellationToken ct)
    {
        var policy = f.GetValueOrDefault("policy") ?? throw Missing("Policy");
        if (Kind(f) == "v4")
        {
            var alg = f.GetValueOrDefault("x-amz-algorithm") ?? throw Missing("X-Amz-Algorithm");
            if (alg != SigV4.Algorithm) throw new S3Exception(S3ErrorCode.InvalidArgument, $"X-Amz-Algorithm {alg} is not supported; use {SigV4.Algorithm}");
            var cred = f.GetValueOrDefault("x-amz-credential") ?? throw Missing("X-Amz-Credential");
            var amzDate = f.GetValueOrDefault("x-amz-date") ?? throw Missing("X-Amz-Date");
            var sig = f.GetValueOrDefault("x-amz-signature") ?? throw Missing("X-Amz-Signature");
            var parts = cred.Split('/');
            if (parts.Length != 5 || parts[0].Length == 0 || parts[4] != "aws4_request")
                throw new S3Exception(S3ErrorCode.InvalidArgument, $"X-Amz-Credential '{cred}' is not access-key/date/region/service/aws4_request");
            if (!DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
                || parts[1] != amzDate[..8])
                throw new S3Exception(S3ErrorCode.InvalidArgument, $"X-Amz-Date '{amzDate}' is not of the form yyyyMMddTHHmmssZ of the credential's date");
            var principal = await FindAsync(access, parts[0], ct).ConfigureAwait(false);
            var key = Streaming.SigV4ChunkSigner.DeriveSigningKey(principal.Token, parts[1], parts[2], parts[3]);
            var expected = SigV4.Signature(key, policy);
            if (!Same(expected, sig.ToLowerInvariant())) throw new S3Exception(S3ErrorCode.SignatureDoesNotMatch);
            return principal;
        }
        var keyId = f.GetValueOrDefault("awsaccesskeyid") ?? throw Missing("AWSAccessKeyId");
        var v2 = f.GetValueOrDefault("signature") ?? throw Missing("Signature");
        var p = await FindAsync(access, keyId, ct).ConfigureAwait(false);
        if (!Same(SigV2.Signature(p.Token, policy), v2)) throw new S3Exception(S3ErrorCode.SignatureDoesNotMatch);
        return p;
    }

    private static async Task<Principal> FindAsync(IAccessStore access, string key, CancellationToken ct) =>
        await access.FindTokenAsync(key, ct).ConfigureAwait(false) ?? throw new S3Exception(S3ErrorCode.InvalidAccessKeyId);

    private static bool Same(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    public static S3Exception Missing(string field) =>
        new(S3ErrorCode.InvalidArgument, $"Bucket POST must contain a field named '{field}'.  If it is specified, please check the order of the fields.");
}
