using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Strata.Core.Auth;
using Strata.S3.Errors;
using Strata.S3.Streaming;

namespace Strata.S3.Auth;

/// <summary>
/// Checks who signed a request: SigV4 (header or presigned query, with every payload mode) and
/// SigV2 (header or query). Keys and secrets are both the caller's token. A request that fails
/// here is answered with the S3 error before any handler runs, so it reads and changes nothing.
/// </summary>
public sealed class Authenticator(IAccessStore access, TimeProvider clock)
{
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);
    public const string ChunkSignerKey = "strata.chunk-signer";

    /// <summary>Whether the request carries a signature of any form (header, presigned SigV4 or SigV2).</summary>
    public static bool HasCredentials(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        return ctx.Request.Headers.ContainsKey("Authorization") || q.ContainsKey("X-Amz-Algorithm") || q.ContainsKey("X-Amz-Signature")
            || q.ContainsKey("AWSAccessKeyId") || q.ContainsKey("Signature");
    }

    /// <param name="virtualHostBucket">The bucket a virtual-hosted request's Host named: SigV2 signs it as the resource's first segment.</param>
    public async Task<Principal> AuthenticateAsync(HttpContext ctx, CancellationToken ct, string? virtualHostBucket = null)
    {
        var p = await AuthenticateSignatureAsync(ctx, ct, virtualHostBucket).ConfigureAwait(false);
        // Only a request whose signature held counts as a use of the token.
        await Tokens.NoteUseAsync(access, p, clock.GetUtcNow(), ct).ConfigureAwait(false);
        return p;
    }

    private async Task<Principal> AuthenticateSignatureAsync(HttpContext ctx, CancellationToken ct, string? virtualHostBucket)
    {
        var req = View(ctx);
        // SigV2's resource is /bucket/key whatever the addressing; SigV4 signs the path as sent.
        var v2 = virtualHostBucket is null ? req : req with { RawPath = "/" + AwsUri.Encode(virtualHostBucket, keepSlash: false) + (req.RawPath.Length == 0 ? "/" : req.RawPath) };
        var auth = req.Header("Authorization");
        if (auth?.StartsWith(SigV4.Algorithm, StringComparison.Ordinal) == true)
            return await SigV4Async(ctx, req, SigV4.ParseHeader(auth, req), ct).ConfigureAwait(false);
        if (auth?.StartsWith("AWS ", StringComparison.Ordinal) == true)
            return await SigV2HeaderAsync(v2, auth[4..], ct).ConfigureAwait(false);
        if (auth is not null)
            throw new S3Exception(S3ErrorCode.AuthorizationHeaderMalformed, "unsupported Authorization scheme");
        if (req.Query("X-Amz-Algorithm") is not null || req.Query("X-Amz-Signature") is not null)
            return await SigV4Async(ctx, req, SigV4.ParseQuery(req), ct).ConfigureAwait(false);
        if (req.Query("AWSAccessKeyId") is not null || req.Query("Signature") is not null)
            return await SigV2QueryAsync(v2, ct).ConfigureAwait(false);
        throw new S3Exception(S3ErrorCode.AccessDenied, "Access Denied: this server requires signed requests");
    }

    private async Task<Principal> SigV4Async(HttpContext ctx, RequestView req, SigV4Credentials c, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (c.Presigned)
        {
            // At the instant of expiry the URL is expired already (X-Amz-Expires=0 never works).
            if (now >= c.Time.AddSeconds(c.ExpiresSeconds)) throw new S3Exception(S3ErrorCode.AccessDenied, "Request has expired");
            if (c.Time > now + MaxSkew) throw new S3Exception(S3ErrorCode.AccessDenied, "Request is not valid yet");
        }
        else if ((now - c.Time).Duration() > MaxSkew) throw new S3Exception(S3ErrorCode.RequestTimeTooSkewed);
        var principal = await FindAsync(c.AccessKey, ct).ConfigureAwait(false);
        var payload = SigV4.PayloadHash(req, c);
        var key = SigV4.SigningKey(principal.Token, c);
        if (!CanonicalPaths(req.RawPath).Any(p => SameAscii(SigV4.Signature(key, SigV4.StringToSign(c, SigV4.CanonicalRequest(req with { RawPath = p }, c, payload, asSent: true))), c.Signature)))
            throw new S3Exception(S3ErrorCode.SignatureDoesNotMatch);

        if (payload is "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" or "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
            ctx.Items[ChunkSignerKey] = new SigV4ChunkSigner(key, c.AmzDate, c.Scope, c.Signature);
        else if (payload.StartsWith("STREAMING-", StringComparison.Ordinal) && payload != "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
            throw new S3Exception(S3ErrorCode.InvalidArgument, $"unsupported x-amz-content-sha256 {payload}");
        return principal;
    }

    private async Task<Principal> SigV2HeaderAsync(RequestView req, string cred, CancellationToken ct)
    {
        var colon = cred.LastIndexOf(':');
        if (colon <= 0) throw new S3Exception(S3ErrorCode.AuthorizationHeaderMalformed, "expected AWS AccessKeyId:Signature");
        var amzDate = req.Header("x-amz-date");
        var date = SigV2.ParseDate(amzDate ?? req.Header("Date"));
        if (date is null || date.Value.Year < 1970)
            throw new S3Exception(S3ErrorCode.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header");
        if ((clock.GetUtcNow() - date.Value).Duration() > MaxSkew) throw new S3Exception(S3ErrorCode.RequestTimeTooSkewed);
        var principal = await FindAsync(cred[..colon], ct).ConfigureAwait(false);
        var dateLine = amzDate is null ? req.Header("Date") ?? "" : "";
        var listType = req.Query("list-type") is not null;
        if (!SigV2Paths(req.RawPath).Any(p => SameAscii(SigV2.Signature(principal.Token, SigV2.StringToSign(req with { RawPath = p }, dateLine)), cred[(colon + 1)..]))
            && !(listType && SameAscii(SigV2.Signature(principal.Token, SigV2.StringToSign(req, dateLine, signListType: true)), cred[(colon + 1)..])))
            throw new S3Exception(S3ErrorCode.SignatureDoesNotMatch);
        return principal;
    }

    private async Task<Principal> SigV2QueryAsync(RequestView req, CancellationToken ct)
    {
        var keyId = req.Query("AWSAccessKeyId") ?? throw new S3Exception(S3ErrorCode.AccessDenied, "AWSAccessKeyId is missing");
        var sig = req.Query("Signature") ?? throw new S3Exception(S3ErrorCode.AccessDenied, "Signature is missing");
        var expiresText = req.Query("Expires") ?? throw new S3Exception(S3ErrorCode.AccessDenied, "Expires is missing");
        if (!long.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
            throw new S3Exception(S3ErrorCode.AccessDenied, "Expires is not a number");
        if (clock.GetUtcNow().ToUnixTimeSeconds() >= expires) throw new S3Exception(S3ErrorCode.AccessDenied, "Request has expired");
        var principal = await FindAsync(keyId, ct).ConfigureAwait(false);
        if (!SigV2Paths(req.RawPath).Any(p => SameAscii(SigV2.Signature(principal.Token, SigV2.StringToSign(req with { RawPath = p }, expiresText)), sig)))
            throw new S3Exception(S3ErrorCode.SignatureDoesNotMatch);
        return principal;
    }

    /// <summary>
    /// The canonical URIs a client may have signed, most likely first: AWS's encoding of the
    /// decoded path, the path exactly as sent, and the sent path encoded once more (AWSSDK.S3
    /// does that to a bucket name it had to escape).
    /// </summary>
    private static IEnumerable<string> CanonicalPaths(string raw)
    {
        var path = raw.Length == 0 ? "/" : raw;
        var normal = AwsUri.Encode(Uri.UnescapeDataString(path), keepSlash: true);
        yield return normal;
        if (path != normal) yield return path;
        if (path.Contains('%')) yield return AwsUri.Encode(path, keepSlash: true);
    }

    /// <summary>SigV2 resources a client may have signed: the path as sent, and for a bare bucket also with a trailing '/' (botocore signs that).</summary>
    private static IEnumerable<string> SigV2Paths(string raw)
    {
        var path = raw.Length == 0 ? "/" : raw;
        yield return path;
        if (path.Length > 1 && path.IndexOf('/', 1) < 0) yield return path + "/";
        // A virtual-hosted request of the bucket itself: "/bucket/" as AWS documents it, or "/bucket".
        if (path.Length > 2 && path.IndexOf('/', 1) == path.Length - 1) yield return path[..^1];
    }

    // The store is looked up by the key's hash, and the key itself (the token) is the HMAC secret below.
    private async Task<Principal> FindAsync(string accessKey, CancellationToken ct) =>
        await access.FindTokenAsync(accessKey, ct).ConfigureAwait(false) ?? throw new S3Exception(S3ErrorCode.InvalidAccessKeyId);

    private static bool SameAscii(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    /// <summary>
    /// The request as signed: the raw target (so escapes are seen as the client sent them) and
    /// every header value.
    /// </summary>
    public static RequestView View(HttpContext ctx)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.Value ?? "/";
        if (raw.StartsWith("http", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(raw, UriKind.Absolute, out var abs)) raw = abs.PathAndQuery;
        var q = raw.IndexOf('?');
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (k, v) in ctx.Request.Headers)
            foreach (var one in v)
                if (one is not null) headers.Add(new(k, one));
        return new RequestView(ctx.Request.Method, q >= 0 ? raw[..q] : raw, q >= 0 ? raw[q..] : "", headers);
    }

    /// <summary>A hex x-amz-content-sha256 is checked against the body as it is read (auth on or off).</summary>
    public static void VerifyPayloadHash(HttpContext ctx)
    {
        var sha = ctx.Request.Headers["x-amz-content-sha256"].ToString();
        if (sha.Length == 64 && sha.All(char.IsAsciiHexDigit))
            ctx.Request.Body = new Sha256VerifyingStream(ctx.Request.Body, sha);
    }
}
