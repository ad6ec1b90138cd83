using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Strata.S3.Auth;

/// <summary>AWS Signature Version 2 (header and presigned query), with S3's canonical subresource rules.</summary>
public static class SigV2
{
    // The subresources and response overrides that are part of the signed resource, per the S3 docs.
    private static readonly HashSet<string> Subresources = new(StringComparer.Ordinal)
    {
        "acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy",
        "requestPayment", "restore", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
        "versions", "website", "encryption", "object-lock", "replication", "attributes", "legal-hold", "retention",
        "response-cache-control", "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires",
    };

    /// <param name="dateOrExpires">The Date line: the Date header (empty if x-amz-date is sent), or Expires for a presigned URL.</param>
    /// <param name="signListType">Also sign list-type as a subresource: botocore's SigV2 does for ListObjectsV2 (boto3 issue 4433).</param>
    public static string StringToSign(RequestView req, string dateOrExpires, bool signListType = false)
    {
        var sb = new StringBuilder();
        sb.Append(req.Method).Append('\n');
        sb.Append(req.Header("Content-MD5") ?? "").Append('\n');
        sb.Append(req.Header("Content-Type") ?? "").Append('\n');
        sb.Append(dateOrExpires).Append('\n');
        foreach (var (name, value) in AmzHeaders(req))
            sb.Append(name).Append(':').Append(value).Append('\n');
        sb.Append(req.RawPath.Length == 0 ? "/" : req.RawPath);
        var subs = req.QueryPairs().Where(p => Subresources.Contains(p.Key) || (signListType && p.Key == "list-type")).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        if (subs.Count > 0)
            sb.Append('?').Append(string.Join('&', subs.Select(p => p.Value.Length == 0 && !req.RawQuery.Contains(p.Key + "=", StringComparison.Ordinal) ? p.Key : $"{p.Key}={p.Value}")));
        return sb.ToString();
    }

    /// <summary>x-amz-* headers, lower-cased, sorted, repeated values joined with ','.</summary>
    private static IEnumerable<(string, string)> AmzHeaders(RequestView req) =>
        req.Headers.Select(h => h.Key.ToLowerInvariant()).Where(n => n.StartsWith("x-amz-", StringComparison.Ordinal))
            .Distinct().Order(StringComparer.Ordinal).Select(n => (n, req.Header(n)!.Trim()));

    public static string Signature(string secret, string stringToSign) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>An HTTP date; the weekday is ignored (a wrong one must not turn a stale date into a missing one).</summary>
    public static DateTimeOffset? ParseDate(string? s)
    {
        if (s is null) return null;
        var comma = s.IndexOf(',');
        var rest = comma >= 0 ? s[(comma + 1)..].Trim() : s.Trim();
        // Go formats a UTC time with RFC1123 as "... UTC" (rclone sends that); HTTP says GMT.
        if (rest.EndsWith(" UTC", StringComparison.Ordinal)) rest = rest[..^4] + " GMT";
        return DateTimeOffset.TryParse(rest, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
    }
}
