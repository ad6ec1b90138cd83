using System.Globalization;
using System.Text;
using Strata.Core;
using Strata.Core.Tree;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>
/// ListObjects (v1) and ListObjectsV2. A page costs O(log N + page): the cursor seeks to the
/// marker, and every CommonPrefix is skipped with one more seek instead of reading its keys.
/// </summary>
public static class ListObjects
{
    public const int MaxKeysCap = 1000;

    public sealed record Page(List<KeyValuePair<string, FileEntry>> Contents, List<string> Prefixes, bool Truncated, string? Last);

    public static async Task<Page> ListPageAsync(VersionedStore store, CommitInfo? commit, string prefix, string delimiter,
        string startAfter, int maxKeys, CancellationToken ct)
    {
        var contents = new List<KeyValuePair<string, FileEntry>>();
        var prefixes = new List<string>();
        string? last = null;
        if (maxKeys == 0) return new Page(contents, prefixes, false, null);
        var cursor = store.Cursor(commit);
        var ord = KeyOrder.Instance;
        var have = await cursor.SeekAsync(k => ord.Compare(k, prefix) >= 0 && ord.Compare(k, startAfter) > 0, ct).ConfigureAwait(false);
        while (have)
        {
            var (key, entry) = cursor.Current!.Value;
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) break;
            var cut = delimiter.Length == 0 ? -1 : key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
            if (cut >= 0)
            {
                var cp = key[..(cut + delimiter.Length)];
                if (ord.Compare(cp, startAfter) > 0)
                {
                    if (contents.Count + prefixes.Count == maxKeys) return new Page(contents, prefixes, true, last);
                    prefixes.Add(cp);
                    last = cp;
                }
                have = await cursor.SeekAsync(k => ord.Compare(k, cp) > 0 && !k.StartsWith(cp, StringComparison.Ordinal), ct).ConfigureAwait(false);
                continue;
            }
            if (contents.Count + prefixes.Count == maxKeys) return new Page(contents, prefixes, true, last);
            contents.Add(new(key, entry));
            last = key;
            have = await cursor.NextAsync(ct).ConfigureAwait(false);
        }
        return new Page(contents, prefixes, false, last);
    }

    public static async Task ListObjectsV1Async(S3Request r)
    {
        var (snap, prefix, delimiter, maxKeys, encode) = await CommonAsync(r).ConfigureAwait(false);
        var marker = r.Query("marker") ?? "";
        var page = await ListPageAsync(r.Store, snap.Commit, prefix, delimiter, marker, maxKeys, r.Ct).ConfigureAwait(false);
        string E(string s) => encode ? UrlEncode(s) : s;
        await XmlOut.WriteAsync(r.Response, "ListBucketResult", w =>
        {
            w.El("Name", r.BucketName);
            // botocore decodes Marker but not Prefix in v1 answers, and S3 leaves Prefix as given there.
            w.El("Prefix", prefix);
            w.El("Marker", E(marker));
            w.El("MaxKeys", maxKeys);
            if (delimiter.Length > 0) w.El("Delimiter", E(delimiter));
            if (encode) w.El("EncodingType", "url");
            w.El("IsTruncated", page.Truncated);
            // S3 gives NextMarker only with a delimiter; without one, clients continue from the last key.
            if (page.Truncated && delimiter.Length > 0) w.El("NextMarker", E(page.Last!));
            WriteContents(w, r, page, E, owner: true);
        }, r.Ct).ConfigureAwait(false);
    }

    public static async Task ListObjectsV2Async(S3Request r)
    {
        if (r.Query("list-type") != "2") throw new S3Exception(S3ErrorCode.InvalidArgument, "list-type must be 2");
        var (snap, prefix, delimiter, maxKeys, encode) = await CommonAsync(r).ConfigureAwait(false);
        var token = r.Query("continuation-token");
        var startAfter = r.Query("start-after") ?? "";
        var from = startAfter;
        if (token is not null)
        {
            from = DecodeToken(token);
            if (KeyOrder.Instance.Compare(from, startAfter) < 0) from = startAfter;
        }
        var fetchOwner = r.Query("fetch-owner") == "true";
        var page = await ListPageAsync(r.Store, snap.Commit, prefix, delimiter, from, maxKeys, r.Ct).ConfigureAwait(false);
        string E(string s) => encode ? UrlEncode(s) : s;
        await XmlOut.WriteAsync(r.Response, "ListBucketResult", w =>
        {
            w.El("Name", r.BucketName);
            w.El("Prefix", E(prefix));
            if (r.Has("start-after")) w.El("StartAfter", E(startAfter));
            if (token is not null) w.El("ContinuationToken", token);
            w.El("KeyCount", page.Contents.Count + page.Prefixes.Count);
            w.El("MaxKeys", maxKeys);
            if (delimiter.Length > 0) w.El("Delimiter", E(delimiter));
            if (encode) w.El("EncodingType", "url");
            w.El("IsTruncated", page.Truncated);
            if (page.Truncated) w.El("NextContinuationToken", EncodeToken(page.Last!));
            WriteContents(w, r, page, E, fetchOwner);
        }, r.Ct).ConfigureAwait(false);
    }

    private static void WriteContents(System.Xml.XmlWriter w, S3Request r, Page page, Func<string, string> e, bool owner)
    {
        foreach (var (key, f) in page.Contents)
        {
            w.WriteStartElement("Contents");
            w.El("Key", e(key));
            w.El("LastModified", f.Modified);
            w.El("ETag", f.ETag);
            w.El("Size", f.Size);
            w.El("StorageClass", "STANDARD");
            if (owner) w.Owner(r.Options);
            w.WriteEndElement();
        }
        foreach (var p in page.Prefixes)
        {
            w.WriteStartElement("CommonPrefixes");
            w.El("Prefix", e(p));
            w.WriteEndElement();
        }
    }

    private static async Task<(Snapshot, string Prefix, string Delimiter, int MaxKeys, bool Encode)> CommonAsync(S3Request r)
    {
        var enc = r.Query("encoding-type");
        if (enc is not null && enc != "url")
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Invalid Encoding Method specified in Request");
        var maxKeys = MaxKeysCap;
        if (r.Query("max-keys") is { } mk)
        {
            if (!int.TryParse(mk, NumberStyles.None, CultureInfo.InvariantCulture, out maxKeys))
                throw new S3Exception(S3ErrorCode.InvalidArgument, "max-keys must be a non-negative integer");
            maxKeys = Math.Min(maxKeys, MaxKeysCap);
        }
        var snap = await r.OpenAsync().ConfigureAwait(false);
        return (snap, r.Query("prefix") ?? "", r.Query("delimiter") ?? "", maxKeys, enc == "url");
    }

    // Tokens are opaque to clients; base64url of the last key returned keeps them URL-safe.
    private static string EncodeToken(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes(key)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string DecodeToken(string token)
    {
        try
        {
            var s = token.Replace('-', '+').Replace('_', '/');
            s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
            return Encoding.UTF8.GetString(Convert.FromBase64String(s));
        }
        catch (FormatException)
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "The continuation token provided is incorrect");
        }
    }

    /// <summary>URL-encodes as S3 does for encoding-type=url: everything but unreserved characters and '/'.</summary>
    public static string UrlEncode(string s) => Uri.EscapeDataString(s).Replace("%2F", "/");
}
