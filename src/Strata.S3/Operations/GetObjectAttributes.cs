using System.Globalization;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>GetObjectAttributes: ETag, Checksum, ObjectParts, StorageClass and ObjectSize of any version, without the body.</summary>
public static class GetObjectAttributes
{
    private static readonly HashSet<string> Known = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];

    public static async Task GetObjectAttributesAsync(S3Request r)
    {
        var key = r.RequiredKey;
        var wanted = (r.Header("x-amz-object-attributes") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        if (wanted.Count == 0 || wanted.Any(a => !Known.Contains(a)))
            throw new S3Exception(S3ErrorCode.InvalidArgument, "x-amz-object-attributes must list some of ETag, Checksum, ObjectParts, StorageClass, ObjectSize");
        var snap = await r.OpenAsync().ConfigureAwait(false);
        var version = r.Query("versionId");
        var f = await GetObject.ReadVersionAsync(r, snap, key, version).ConfigureAwait(false);
        var maxParts = int.TryParse(r.Header("x-amz-max-parts"), NumberStyles.None, CultureInfo.InvariantCulture, out var mp) ? Math.Min(mp, 1000) : 1000;
        var marker = int.TryParse(r.Header("x-amz-part-number-marker"), NumberStyles.None, CultureInfo.InvariantCulture, out var pm) ? pm : 0;
        r.Response.Headers.LastModified = f.Modified.ToString("R");
        r.Response.Headers["x-amz-version-id"] = f.CommitId;
        await XmlOut.WriteAsync(r.Response, "GetObjectAttributesResponse", w =>
        {
            if (wanted.Contains("ETag")) w.El("ETag", f.ETag.Trim('"'));
            if (wanted.Contains("Checksum") && f.Checksums.Count > 0)
            {
                var (name, value) = f.Checksums[0];
                w.WriteStartElement("Checksum");
                w.El("Checksum" + name, value);
                w.El("ChecksumType", value.Contains('-') ? "COMPOSITE" : "FULL_OBJECT");
                w.WriteEndElement();
            }
            if (wanted.Contains("ObjectParts") && f.Parts.Count > 0)
            {
                var page = f.Parts.Select((p, i) => (Number: i + 1, p)).Where(x => x.Number > marker).Take(maxParts).ToList();
                w.WriteStartElement("ObjectParts");
                w.El("PartsCount", f.Parts.Count); // TotalPartsCount in the API model, PartsCount on the wire
                w.El("PartNumberMarker", marker);
                w.El("NextPartNumberMarker", page.Count > 0 ? page[^1].Number : marker);
                w.El("MaxParts", maxParts);
                w.El("IsTruncated", page.Count > 0 && page[^1].Number < f.Parts.Count);
                foreach (var (number, p) in page)
                {
                    w.WriteStartElement("Part");
                    w.El("PartNumber", number);
                    w.El("Size", p.Size);
                    if (p.Checksum is not null) w.El("Checksum" + f.Checksums[0].Key, p.Checksum);
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }
            if (wanted.Contains("StorageClass")) w.El("StorageClass", "STANDARD");
            if (wanted.Contains("ObjectSize")) w.El("ObjectSize", f.Size);
        }, r.Ct).ConfigureAwait(false);
    }
}
