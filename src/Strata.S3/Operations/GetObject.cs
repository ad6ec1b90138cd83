using Strata.Core;
using Strata.S3.Errors;

namespace Strata.S3.Operations;

/// <summary>GetObject and HeadObject: any version, single ranges, conditional headers; the body is streamed chunk by chunk.</summary>
public static class GetObject
{
    public static async Task GetObjectAsync(S3Request r, bool head)
    {
        var key = r.RequiredKey;
        var snap = await r.OpenAsync().ConfigureAwait(false);
        var version = r.Query("versionId");
        var commit = version is null ? snap.Commit : await r.Store.ResolveVersionAsync(snap, version, r.Ct).ConfigureAwait(false);
        var f = await r.Store.GetFileAsync(commit, key, r.Ct).ConfigureAwait(false)
            ?? throw (version is null ? new S3Exception(S3ErrorCode.NoSuchKey) : new S3Exception(S3ErrorCode.NoSuchVersion,
                $"key '{key}' does not exist at version {version}"));
        Conditions.Check(r, f, isRead: true);

        var range = head && r.Header("Range") is null ? null : RangeHeader.Parse(r.Header("Range"), f.Size);
        if (r.Query("partNumber") is { } pn)
        {
            // A non-multipart object has exactly one part: the whole object.
            if (pn != "1") throw new S3Exception(S3ErrorCode.InvalidPart, "the object was not uploaded in parts: its only part is 1");
        }
        ObjectHeaders.Write(r, f, ranged: range is not null);
        var (start, length) = range ?? (0, f.Size);
        if (range is not null)
        {
            r.Response.StatusCode = 206;
            r.Response.Headers.ContentRange = $"bytes {start}-{start + length - 1}/{f.Size}";
        }
        r.Response.ContentLength = length;
        if (head) return;
        await r.Response.StartAsync(r.Ct).ConfigureAwait(false);
        await ContentReader.CopyToAsync(r.Store.Chunks, f, start, length, r.Response.Body, r.Ct).ConfigureAwait(false);
    }
}
