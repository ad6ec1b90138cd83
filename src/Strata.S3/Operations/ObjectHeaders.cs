using Microsoft.AspNetCore.Http;
using Strata.Core;

namespace Strata.S3.Operations;

/// <summary>The object headers S3 stores with an object and returns on GET/HEAD.</summary>
public static class ObjectHeaders
{
    public const string DefaultContentType = "binary/octet-stream";

    private static readonly string[] Stored =
        ["content-type", "content-encoding", "content-disposition", "content-language", "cache-control", "expires", "x-amz-website-redirect-location"];

    private static readonly (string Query, string Header)[] Overrides =
    [
        ("response-content-type", "Content-Type"), ("response-content-language", "Content-Language"),
        ("response-expires", "Expires"), ("response-cache-control", "Cache-Control"),
        ("response-content-disposition", "Content-Disposition"), ("response-content-encoding", "Content-Encoding"),
    ];

    /// <summary>Picks the storable headers of a PUT (or CreateMultipartUpload, or a copy that replaces them); their size was checked by RequestLimits.</summary>
    public static List<KeyValuePair<string, string>> FromRequest(HttpRequest req)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in req.Headers)
        {
            var n = name.ToLowerInvariant();
            var v = value.ToString();
            if (n == "content-encoding")
            {
                // aws-chunked describes the transfer, not the object: S3 strips it.
                v = string.Join(", ", v.Split(',').Select(s => s.Trim()).Where(s => s.Length > 0 && s != "aws-chunked"));
                if (v.Length == 0) continue;
            }
            if (Stored.Contains(n) || n.StartsWith("x-amz-meta-", StringComparison.Ordinal))
                list.Add(new(n, v));
        }
        if (!list.Any(kv => kv.Key == "content-type")) list.Add(new("content-type", DefaultContentType));
        list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }

    /// <summary>Writes ETag, Last-Modified, version, stored headers and response-* overrides.</summary>
    public static void Write(S3Request r, FileEntry f, bool ranged, int? partNumber = null)
    {
        var h = r.Response.Headers;
        h.ETag = f.ETag;
        h.LastModified = f.Modified.ToString("R");
        h["x-amz-version-id"] = f.CommitId;
        h.AcceptRanges = "bytes";
        h["x-amz-storage-class"] = "STANDARD";
        h["x-strata-content-hash"] = "blake3:" + f.ContentHash;
        foreach (var (k, v) in f.Headers)
        {
            if (k == "content-type") r.Response.ContentType = v;
            else h[k] = v.Any(c => c > '\u00FF') ? "=?UTF-8?B?" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(v)) + "?=" : v;
        }
        foreach (var (q, header) in Overrides)
            if (r.Query(q) is { } v) h[header] = v;
        if (!string.Equals(r.Header("x-amz-checksum-mode"), "ENABLED", StringComparison.OrdinalIgnoreCase) || f.Checksums.Count == 0) return;
        var (name, value) = f.Checksums[0];
        // A composite (per-part) checksum carries its part count: "...-N".
        var type = value.Contains('-') ? "COMPOSITE" : "FULL_OBJECT";
        if (partNumber is { } n && f.Parts.Count >= n)
        {
            // One part of a multipart object: that part's own checksum.
            if (f.Parts[n - 1].Checksum is not { } partSum) return;
            value = partSum;
        }
        else if (ranged) return; // stored checksums cover the whole object, so a range gets none (as S3)
        h["x-amz-checksum-" + name.ToLowerInvariant()] = value;
        h["x-amz-checksum-type"] = type;
    }
}
