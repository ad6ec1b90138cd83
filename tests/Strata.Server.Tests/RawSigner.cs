using Strata.S3.Auth;

namespace Strata.Server.Tests;

/// <summary>
/// SigV4 header signing for raw requests (UNSIGNED-PAYLOAD), for tests that send what no SDK
/// would: too many headers, short bodies, bad ranges. Uses Strata's own SigV4 code, which the
/// signature tests check against AWS's published examples.
/// </summary>
public static class RawSigner
{
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";

    /// <summary>The headers to send (Host, x-amz-date, x-amz-content-sha256, Authorization), signing <paramref name="extra"/> too.</summary>
    public static List<KeyValuePair<string, string>> Sign(string endpoint, string token, string method, string rawPath, string rawQuery = "",
        IEnumerable<KeyValuePair<string, string>>? extra = null, string payload = UnsignedPayload)
    {
        var amzDate = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'");
        var headers = new List<KeyValuePair<string, string>>
        {
            new("Host", new Uri(endpoint).Authority), new("x-amz-content-sha256", payload), new("x-amz-date", amzDate),
        };
        headers.AddRange(extra ?? []);
        var signed = string.Join(';', headers.Select(h => h.Key.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal));
        var auth = $"AWS4-HMAC-SHA256 Credential={token}/{amzDate[..8]}/us-east-1/s3/aws4_request,SignedHeaders={signed},Signature={new string('0', 64)}";
        var view = new RequestView(method, rawPath, rawQuery, headers);
        var c = SigV4.ParseHeader(auth, view);
        var sig = SigV4.Signature(SigV4.SigningKey(token, c), SigV4.StringToSign(c, SigV4.CanonicalRequest(view, c, payload)));
        headers.Add(new("Authorization", auth.Replace(new string('0', 64), sig)));
        return headers;
    }

    /// <summary>A signed request ready for HttpClient (Host is set by the client from the URI).</summary>
    public static HttpRequestMessage Message(string endpoint, string token, HttpMethod method, string rawPath, string rawQuery = "",
        IEnumerable<KeyValuePair<string, string>>? extra = null, HttpContent? content = null)
    {
        var msg = new HttpRequestMessage(method, $"{endpoint}{rawPath}{(rawQuery.Length > 0 ? "?" + rawQuery : "")}") { Content = content };
        foreach (var (k, v) in Sign(endpoint, token, method.Method, rawPath, rawQuery, extra))
        {
            if (k == "Host") continue;
            if (content is not null && k.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)) content.Headers.TryAddWithoutValidation(k, v);
            else msg.Headers.TryAddWithoutValidation(k, v);
        }
        return msg;
    }
}
