using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Strata.S3.Errors;
using Strata.S3.Streaming;

namespace Strata.S3.Auth;

/// <summary>The parts of a SigV4 signature, from an Authorization header or a presigned query.</summary>
public sealed record SigV4Credentials(string AccessKey, string Date, string Region, string Service, string[] SignedHeaders,
    string Signature, DateTimeOffset Time, string AmzDate, bool Presigned, long ExpiresSeconds)
{
    public string Scope => $"{Date}/{Region}/{Service}/aws4_request";
}

/// <summary>AWS Signature Version 4 (header and presigned query) for S3.</summary>
public static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const long MaxPresignedExpiry = 7 * 24 * 3600;

    public static SigV4Credentials ParseHeader(string header, RequestView req)
    {
        var rest = header[Algorithm.Length..].Trim();
        string? cred = null, signed = null, sig = null;
        foreach (var part in rest.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq < 0) throw Malformed("the Authorization header is malformed");
            var (k, v) = (part[..eq].Trim(), part[(eq + 1)..].Trim());
            switch (k)
            {
                case "Credential": cred = v; break;
                case "SignedHeaders": signed = v; break;
                case "Signature": sig = v; break;
            }
        }
        if (cred is null || signed is null || sig is null)
            throw Malformed("the Authorization header needs Credential, SignedHeaders and Signature");
        var amzDate = req.Header("x-amz-date");
        DateTimeOffset time;
        if (amzDate is not null) time = ParseAmzDate(amzDate);
        else if (req.Header("Date") is { } d && DateTimeOffset.TryParse(d, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time))
            amzDate = time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        else throw new S3Exception(S3ErrorCode.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header");
        return Build(cred, signed, sig, time, amzDate, presigned: false, 0);
    }

    public static SigV4Credentials ParseQuery(RequestView req)
    {
        if (req.Query("X-Amz-Algorithm") != Algorithm) throw QueryError("X-Amz-Algorithm must be AWS4-HMAC-SHA256");
        var cred = req.Query("X-Amz-Credential") ?? throw QueryError("X-Amz-Credential is missing");
        var signed = req.Query("X-Amz-SignedHeaders") ?? throw QueryError("X-Amz-SignedHeaders is missing");
        var sig = req.Query("X-Amz-Signature") ?? throw QueryError("X-Amz-Signature is missing");
        var amzDate = req.Query("X-Amz-Date") ?? throw QueryError("X-Amz-Date is missing");
        if (!long.TryParse(req.Query("X-Amz-Expires"), NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
            throw QueryError("X-Amz-Expires must be a number of seconds");
        if (expires > MaxPresignedExpiry) throw QueryError("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds");
        return Build(cred, signed, sig, ParseAmzDate(amzDate), amzDate, presigned: true, expires);
    }

    private static SigV4Credentials Build(string cred, string signed, string sig, DateTimeOffset time, string amzDate, bool presigned, long expires)
    {
        // access-key/date/region/service/aws4_request; the key itself has no '/'.
        var parts = cred.Split('/');
        if (parts.Length != 5 || parts[4] != "aws4_request" || parts[0].Length == 0)
            throw Malformed($"the Credential '{cred}' is not access-key/date/region/service/aws4_request");
        if (parts[1] != amzDate[..Math.Min(8, amzDate.Length)])
            throw Malformed($"the credential date {parts[1]} does not match the request date {amzDate}");
        var headers = signed.Split(';', StringSplitOptions.RemoveEmptyEntries);
        if (headers.Length == 0 || !headers.Contains("host")) throw Malformed("SignedHeaders must include host");
        if (sig.Length != 64 || !sig.All(char.IsAsciiHexDigitLower) && !sig.All(char.IsAsciiHexDigit))
            throw Malformed("the Signature is not 64 hex characters");
        return new SigV4Credentials(parts[0], parts[1], parts[2], parts[3], headers, sig.ToLowerInvariant(), time, amzDate, presigned, expires);
    }

    private static DateTimeOffset ParseAmzDate(string s) =>
        DateTimeOffset.TryParseExact(s, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw new S3Exception(S3ErrorCode.AccessDenied, $"X-Amz-Date '{s}' is not of the form yyyyMMddTHHmmssZ");

    /// <param name="asSent">Use RawPath as the canonical URI as it is, instead of encoding it by AWS's rules.</param>
    public static string CanonicalRequest(RequestView req, SigV4Credentials c, string payloadHash, bool asSent = false)
    {
        var sb = new StringBuilder();
        sb.Append(req.Method).Append('\n');
        var path = req.RawPath.Length == 0 ? "/" : req.RawPath;
        sb.Append(asSent ? path : AwsUri.Encode(Uri.UnescapeDataString(path), keepSlash: true)).Append('\n');
        var query = req.QueryPairs()
            .Where(p => !(c.Presigned && p.Key == "X-Amz-Signature"))
            .Select(p => (K: AwsUri.Encode(p.Key, false), V: AwsUri.Encode(p.Value, false)))
            .OrderBy(p => p.K, StringComparer.Ordinal).ThenBy(p => p.V, StringComparer.Ordinal);
        sb.Append(string.Join('&', query.Select(p => p.K + "=" + p.V))).Append('\n');
        foreach (var h in c.SignedHeaders)
            sb.Append(h).Append(':').Append(CanonicalValue(req.Header(h) ?? "")).Append('\n');
        sb.Append('\n').Append(string.Join(';', c.SignedHeaders)).Append('\n');
        sb.Append(payloadHash);
        return sb.ToString();
    }

    private static string CanonicalValue(string v)
    {
        var sb = new StringBuilder(v.Length);
        var space = false;
        foreach (var ch in v.Trim())
        {
            if (ch is ' ' or '\t')
            {
                if (!space) sb.Append(' ');
                space = true;
            }
            else
            {
                sb.Append(ch);
                space = false;
            }
        }
        return sb.ToString();
    }

    public static string StringToSign(SigV4Credentials c, string canonicalRequest) =>
        $"{Algorithm}\n{c.AmzDate}\n{c.Scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

    public static byte[] SigningKey(string secret, SigV4Credentials c) =>
        SigV4ChunkSigner.DeriveSigningKey(secret, c.Date, c.Region, c.Service);

    public static string Signature(byte[] signingKey, string stringToSign) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>The payload hash the signature covers: the header, or UNSIGNED-PAYLOAD for a presigned URL.</summary>
    public static string PayloadHash(RequestView req, SigV4Credentials c) =>
        c.Presigned
            ? req.Query("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD"
            : req.Header("x-amz-content-sha256") ?? throw new S3Exception(S3ErrorCode.InvalidRequest, "Missing required header for this request: x-amz-content-sha256");

    private static S3Exception Malformed(string m) => new(S3ErrorCode.AuthorizationHeaderMalformed, m);
    private static S3Exception QueryError(string m) => new(S3ErrorCode.AuthorizationQueryParametersError, m);
}
