using System.Globalization;
using Strata.Core.Tree;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>DeleteObject and DeleteObjects: each request removes its keys in one commit.</summary>
public static class DeleteObject
{
    public const int MaxKeys = 1000;

    private static string VersionRefused(string v) =>
        $"Strata history is immutable: version {v} cannot be deleted; delete the key without versionId to remove it from the branch";

    public static async Task DeleteObjectAsync(S3Request r)
    {
        var key = r.RequiredKey;
        var bucket = r.WritableBucket;
        await r.OpenAsync().ConfigureAwait(false);
        if (r.Query("versionId") is { } v) throw new S3Exception(S3ErrorCode.NotImplemented, VersionRefused(v));
        var ifMatch = r.Header("If-Match");
        var ifTime = Conditions.Date(r.Header("x-amz-if-match-last-modified-time"));
        long? ifSize = long.TryParse(r.Header("x-amz-if-match-size"), NumberStyles.None, CultureInfo.InvariantCulture, out var sz) ? sz : null;
        var commit = await r.Store.CommitAsync(r.WritableBucket, async ctx =>
        {
            var current = await ctx.GetAsync(key).ConfigureAwait(false);
            // Deleting a missing key succeeds, whatever the conditions (as S3).
            if (current is null) return [];
            if (!Conditions.DeleteAllowed(current, ifMatch, ifTime, ifSize)) throw new S3Exception(S3ErrorCode.PreconditionFailed);
            return [new Mutation(key, null)];
        }, $"delete {key}", r.Started, r.Ct).ConfigureAwait(false);
        if (commit is not null)
        {
            r.Response.Headers["x-amz-version-id"] = commit.Id;
            r.Response.Headers["x-amz-delete-marker"] = "true";
        }
        r.Response.StatusCode = 204;
    }

    private sealed record Item(string Key, string? VersionId, string? ETag, DateTimeOffset? LastModified, long? Size);

    private static S3Exception Malformed(string element) => new(S3ErrorCode.MalformedXML, $"{element} is not valid");

    public static async Task DeleteObjectsAsync(S3Request r)
    {
        var bucket = r.WritableBucket;
        await r.OpenAsync().ConfigureAwait(false);
        var doc = await XmlIn.ReadAsync(r.Http.Request.Body, 2 << 20, r.Ct).ConfigureAwait(false);
        if (doc is null || doc.Name.LocalName != "Delete") throw new S3Exception(S3ErrorCode.MalformedXML);
        var quiet = doc.Kid("Quiet")?.Value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) == true;
        var items = doc.Kids("Object").Select(o => new Item(
            o.Kid("Key")?.Value ?? throw new S3Exception(S3ErrorCode.MalformedXML, "Object without Key"),
            o.Kid("VersionId")?.Value is { Length: > 0 } v ? v : null,
            o.Kid("ETag")?.Value,
            o.Kid("LastModifiedTime")?.Value is { } t ? (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, out var d) ? d : throw Malformed("LastModifiedTime")) : null,
            o.Kid("Size")?.Value is { } s ? (long.TryParse(s, CultureInfo.InvariantCulture, out var n) ? n : throw Malformed("Size")) : null)).ToList();
        if (items.Count == 0 || items.Count > MaxKeys)
            throw new S3Exception(S3ErrorCode.MalformedXML, $"a Delete request names 1 to {MaxKeys} objects");

        var deleted = new List<string>();
        var errors = new List<(string Key, S3ErrorCode Code, string Message)>();
        var commit = await r.Store.CommitAsync(bucket, async ctx =>
        {
            deleted.Clear();
            errors.Clear();
            var muts = new List<Mutation>();
            foreach (var it in items)
            {
                if (it.VersionId is not null)
                {
                    errors.Add((it.Key, S3ErrorCode.NotImplemented, VersionRefused(it.VersionId)));
                    continue;
                }
                var current = await ctx.GetAsync(it.Key).ConfigureAwait(false);
                if (current is not null && !Conditions.DeleteAllowed(current, it.ETag, it.LastModified, it.Size))
                {
                    errors.Add((it.Key, S3ErrorCode.PreconditionFailed, "At least one of the preconditions you specified did not hold."));
                    continue;
                }
                deleted.Add(it.Key);
                if (current is not null) muts.Add(new Mutation(it.Key, null));
            }
            return muts;
        }, $"delete {items.Count} objects", r.Started, r.Ct).ConfigureAwait(false);
        await XmlOut.WriteAsync(r.Response, "DeleteResult", w =>
        {
            if (!quiet)
                foreach (var k in deleted)
                {
                    w.WriteStartElement("Deleted");
                    w.El("Key", k);
                    if (commit is not null)
                    {
                        w.El("DeleteMarker", true);
                        w.El("DeleteMarkerVersionId", commit.Id);
                    }
                    w.WriteEndElement();
                }
            foreach (var (k, code, msg) in errors)
            {
                w.WriteStartElement("Error");
                w.El("Key", k);
                w.El("Code", code.ToString());
                w.El("Message", msg);
                w.WriteEndElement();
            }
        }, r.Ct).ConfigureAwait(false);
    }
}
