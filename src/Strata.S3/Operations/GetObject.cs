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

        (long Start, long Length)? range;
        int? partNumber = null;
        if (r.Query("partNumber") is { } pn)
        {
            range = PartRange(pn, f);
            partNumber = int.Parse(pn, System.Globalization.CultureInfo.InvariantCulture);
            r.Response.Headers["x-amz-mp-parts-count"] = Math.Max(1, f.Parts.Count).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else range = head && r.Header("Range") is null ? null : RangeHeader.Parse(r.Header("Range"), f.Size);
        ObjectHeaders.Write(r, f, ranged: range is not null, partNumber);
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

    /// <summary>
    /// The byte range of part N (GET/HEAD ?partNumber=): a multipart object's parts keep their
    /// upload sizes; any other object has one part, the whole of it.
    /// </summary>
    private static (long, long)? PartRange(string text, FileEntry f)
    {
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1)
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive");
        if (f.Parts.Count == 0)
            return n == 1 ? null : throw new S3Exception(S3ErrorCode.InvalidPart, "the object was not uploaded in parts: its only part is 1");
        if (n > f.Parts.Count) throw new S3Exception(S3ErrorCode.InvalidPart, $"the object has {f.Parts.Count} parts");
        var start = f.Parts.Take(n - 1).Sum(p => p.Size);
        return (start, f.Parts[n - 1].Size);
    }
}
