using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>
/// ListObjectVersions. For now it lists each key's current version only (the commit that last
/// wrote it, IsLatest=true); older versions are reachable with ?versionId= but not yet listed.
/// </summary>
public static class ListObjectVersions
{
    public static async Task ListObjectVersionsAsync(S3Request r)
    {
        var snap = await r.OpenAsync().ConfigureAwait(false);
        var prefix = r.Query("prefix") ?? "";
        var delimiter = r.Query("delimiter") ?? "";
        var keyMarker = r.Query("key-marker") ?? "";
        var encode = r.Query("encoding-type") == "url";
        var maxKeys = int.TryParse(r.Query("max-keys"), out var mk) && mk >= 0 ? Math.Min(mk, ListObjects.MaxKeysCap) : ListObjects.MaxKeysCap;
        var page = await ListObjects.ListPageAsync(r.Store, snap.Commit, prefix, delimiter, keyMarker, maxKeys, r.Ct).ConfigureAwait(false);
        string E(string s) => encode ? ListObjects.UrlEncode(s) : s;
        await XmlOut.WriteAsync(r.Response, "ListVersionsResult", w =>
        {
            w.El("Name", r.BucketName);
            w.El("Prefix", E(prefix));
            w.El("KeyMarker", E(keyMarker));
            w.El("VersionIdMarker", r.Query("version-id-marker") ?? "");
            w.El("MaxKeys", maxKeys);
            if (delimiter.Length > 0) w.El("Delimiter", E(delimiter));
            if (encode) w.El("EncodingType", "url");
            w.El("IsTruncated", page.Truncated);
            if (page.Truncated)
            {
                w.El("NextKeyMarker", E(page.Last!));
                w.El("NextVersionIdMarker", page.Contents.Count > 0 && page.Contents[^1].Key == page.Last ? page.Contents[^1].Value.CommitId : "");
            }
            foreach (var (key, f) in page.Contents)
            {
                w.WriteStartElement("Version");
                w.El("Key", E(key));
                w.El("VersionId", f.CommitId);
                w.El("IsLatest", true);
                w.El("LastModified", f.Modified);
                w.El("ETag", f.ETag);
                w.El("Size", f.Size);
                w.El("StorageClass", "STANDARD");
                w.Owner(r.Options);
                w.WriteEndElement();
            }
            foreach (var p in page.Prefixes)
            {
                w.WriteStartElement("CommonPrefixes");
                w.El("Prefix", E(p));
                w.WriteEndElement();
            }
        }, r.Ct).ConfigureAwait(false);
    }
}
