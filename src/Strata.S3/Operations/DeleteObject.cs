using Strata.Core.Tree;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>DeleteObject and DeleteObjects: each request removes its keys in one commit.</summary>
public static class DeleteObject
{
    public const int MaxKeys = 1000;

    public static async Task DeleteObjectAsync(S3Request r)
    {
        var key = r.RequiredKey;
        var bucket = r.WritableBucket;
        if (r.Query("versionId") is { } v)
            throw new S3Exception(S3ErrorCode.NotImplemented,
                $"Strata history is immutable: version {v} cannot be deleted; delete the key without versionId to remove it from the branch");
        var snap = await r.OpenAsync().ConfigureAwait(false);
        if (await r.Store.GetFileAsync(snap.Commit, key, r.Ct).ConfigureAwait(false) is not null)
        {
            var commit = await r.Store.CommitAsync(bucket, (_, _) => [new Mutation(key, null)], $"delete {key}", r.Ct).ConfigureAwait(false);
            if (commit is not null)
            {
                r.Response.Headers["x-amz-version-id"] = commit.Id;
                r.Response.Headers["x-amz-delete-marker"] = "true";
            }
        }
        r.Response.StatusCode = 204;
    }

    public static async Task DeleteObjectsAsync(S3Request r)
    {
        var bucket = r.WritableBucket;
        await r.OpenAsync().ConfigureAwait(false);
        var doc = await XmlIn.ReadAsync(r.Http.Request.Body, 2 << 20, r.Ct).ConfigureAwait(false);
        if (doc is null || doc.Name.LocalName != "Delete") throw new S3Exception(S3ErrorCode.MalformedXML);
        var quiet = doc.Kid("Quiet")?.Value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) == true;
        var objects = doc.Kids("Object").ToList();
        if (objects.Count == 0 || objects.Count > MaxKeys)
            throw new S3Exception(S3ErrorCode.MalformedXML, $"a Delete request names 1 to {MaxKeys} objects");
        var deleted = new List<string>();
        var errors = new List<(string Key, S3ErrorCode Code, string Message)>();
        foreach (var o in objects)
        {
            var key = o.Kid("Key")?.Value ?? throw new S3Exception(S3ErrorCode.MalformedXML, "Object without Key");
            if (o.Kid("VersionId")?.Value is { Length: > 0 } v)
                errors.Add((key, S3ErrorCode.NotImplemented, $"Strata history is immutable: version {v} cannot be deleted"));
            else deleted.Add(key);
        }
        var commit = deleted.Count == 0 ? null : await r.Store.CommitAsync(bucket,
            (_, _) => deleted.Select(k => new Mutation(k, null)).ToList(), $"delete {deleted.Count} objects", r.Ct).ConfigureAwait(false);
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
