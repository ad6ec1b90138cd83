using System.Globalization;
using Strata.Core;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>ListParts and ListMultipartUploads.</summary>
public static class ListParts
{
    private static int Max(S3Request r, string name)
    {
        if (r.Query(name) is not { } text) return 1000;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            throw new S3Exception(S3ErrorCode.InvalidArgument, $"{name} must be a non-negative integer");
        return Math.Min(n, 1000);
    }

    public static async Task ListPartsAsync(S3Request r)
    {
        var key = r.RequiredKey;
        var u = await r.Store.Uploads.GetAsync(r.Bucket, key, r.Query("uploadId")!, r.Ct).ConfigureAwait(false);
        var max = Max(r, "max-parts");
        var marker = 0;
        if (r.Query("part-number-marker") is { } m && !int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out marker))
            throw new S3Exception(S3ErrorCode.InvalidArgument, "part-number-marker must be an integer");
        var parts = await r.Store.Meta.ListPartsAsync(u.Id, marker, max + 1, r.Ct).ConfigureAwait(false);
        var truncated = parts.Count > max;
        var page = parts.Take(max).ToList();
        await XmlOut.WriteAsync(r.Response, "ListPartsResult", w =>
        {
            w.El("Bucket", r.BucketName);
            w.El("Key", key);
            w.El("UploadId", u.Id);
            w.Owner(r.Options, "Initiator");
            w.Owner(r.Options);
            w.El("StorageClass", "STANDARD");
            w.El("PartNumberMarker", marker);
            if (page.Count > 0) w.El("NextPartNumberMarker", page[^1].Number);
            w.El("MaxParts", max);
            w.El("IsTruncated", truncated);
            if (u.ChecksumAlgorithm is not null)
            {
                w.El("ChecksumAlgorithm", u.ChecksumAlgorithm);
                w.El("ChecksumType", u.ChecksumType);
            }
            foreach (var p in page)
            {
                w.WriteStartElement("Part");
                w.El("PartNumber", p.Number);
                w.El("LastModified", p.Modified);
                w.El("ETag", p.ETag);
                w.El("Size", p.Size);
                foreach (var (alg, v) in p.Checksums) w.El("Checksum" + alg, v);
                w.WriteEndElement();
            }
        }, r.Ct).ConfigureAwait(false);
    }

    public static async Task ListMultipartUploadsAsync(S3Request r)
    {
        var b = r.Bucket;
        await r.OpenAsync().ConfigureAwait(false);
        var prefix = r.Query("prefix") ?? "";
        var delimiter = r.Query("delimiter") ?? "";
        var keyMarker = r.Query("key-marker") ?? "";
        // Without a key-marker S3 ignores upload-id-marker; with one, uploads of that key after the id follow.
        var idMarker = keyMarker.Length == 0 ? "" : r.Query("upload-id-marker") ?? "\uffff";
        var max = Max(r, "max-uploads");
        var encode = r.Query("encoding-type") == "url";
        string E(string s) => encode ? ListObjects.UrlEncode(s) : s;

        var uploads = new List<UploadInfo>();
        var prefixes = new List<string>();
        var truncated = false;
        string nextKey = "", nextId = "";
        var (curKey, curId) = (keyMarker, idMarker);
        while (!truncated)
        {
            var batch = await r.Store.Meta.ListUploadsAsync(b.Repo, b.Branch, prefix, curKey, curId, 1000, r.Ct).ConfigureAwait(false);
            foreach (var u in batch)
            {
                (curKey, curId) = (u.Key, u.Id);
                var cut = delimiter.Length == 0 ? -1 : u.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                var cp = cut >= 0 ? u.Key[..(cut + delimiter.Length)] : null;
                if (cp is not null && prefixes.Count > 0 && prefixes[^1] == cp) continue;
                if (uploads.Count + prefixes.Count == max) { truncated = true; break; }
                if (cp is not null) prefixes.Add(cp); else uploads.Add(u);
                (nextKey, nextId) = (cp ?? u.Key, cp is null ? u.Id : "");
            }
            if (batch.Count < 1000) break;
        }
        await XmlOut.WriteAsync(r.Response, "ListMultipartUploadsResult", w =>
        {
            w.El("Bucket", r.BucketName);
            w.El("KeyMarker", E(keyMarker));
            w.El("UploadIdMarker", r.Query("upload-id-marker") ?? "");
            w.El("NextKeyMarker", E(truncated ? nextKey : ""));
            w.El("NextUploadIdMarker", truncated ? nextId : "");
            w.El("Prefix", E(prefix));
            if (delimiter.Length > 0) w.El("Delimiter", E(delimiter));
            if (encode) w.El("EncodingType", "url");
            w.El("MaxUploads", max);
            w.El("IsTruncated", truncated);
            foreach (var u in uploads)
            {
                w.WriteStartElement("Upload");
                w.El("Key", E(u.Key));
                w.El("UploadId", u.Id);
                w.Owner(r.Options, "Initiator");
                w.Owner(r.Options);
                w.El("StorageClass", "STANDARD");
                w.El("Initiated", u.Created);
                if (u.ChecksumAlgorithm is not null) w.El("ChecksumAlgorithm", u.ChecksumAlgorithm);
                w.WriteEndElement();
            }
            foreach (var p in prefixes)
            {
                w.WriteStartElement("CommonPrefixes");
                w.El("Prefix", E(p));
                w.WriteEndElement();
            }
        }, r.Ct).ConfigureAwait(false);
    }
}
