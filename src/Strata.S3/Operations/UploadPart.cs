using System.Globalization;
using Strata.Core;
using Strata.Core.Chunking;
using Strata.S3.Errors;
using Strata.S3.Streaming;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>UploadPart (the body streams into the chunk store) and UploadPartCopy (reuses the source's chunks).</summary>
public static class UploadPart
{
    private static int PartNumber(S3Request r) =>
        int.TryParse(r.Query("partNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MultipartUploads.MaxPartNumber
            ? n
            : throw new S3Exception(S3ErrorCode.InvalidArgument, $"Part number must be an integer between 1 and {MultipartUploads.MaxPartNumber}, inclusive");

    private static async Task<UploadInfo> UploadAsync(S3Request r) =>
        await r.Store.Uploads.GetAsync(r.WritableBucket, r.RequiredKey, r.Query("uploadId")!, r.Ct).ConfigureAwait(false);

    public static async Task UploadPartAsync(S3Request r)
    {
        var number = PartNumber(r);
        PutObject.RequireLength(r);
        var u = await UploadAsync(r).ConfigureAwait(false);
        var alg = u.ChecksumAlgorithm is { } a ? ChecksumAlgorithms.Parse(a) : null;
        var body = await RequestBody.ReceiveAsync(r, alg).ConfigureAwait(false);
        var part = await r.Store.Uploads.PutPartAsync(u, number, body.Content, body.Checksums, r.Started, r.Ct).ConfigureAwait(false);
        r.Response.Headers.ETag = part.ETag;
        foreach (var (name, v) in body.Checksums) r.Response.Headers["x-amz-checksum-" + name.ToLowerInvariant()] = v;
    }

    public static async Task UploadPartCopyAsync(S3Request r)
    {
        var number = PartNumber(r);
        var u = await UploadAsync(r).ConfigureAwait(false);
        var src = await CopySource.ResolveAsync(r).ConfigureAwait(false);
        var (start, length) = SourceRange(r.Header("x-amz-copy-source-range"), src.Entry.Size);
        // A copy of exactly one source part (aws s3 cp s3://… s3://… uses the same part size) reads nothing
        // when the part's bounds are chunk bounds, and only the chunks at its edges otherwise (its MD5 is on
        // record); any other range is read once, for its MD5 and, if the upload has one, its checksum.
        var alg = u.ChecksumAlgorithm is { } a ? ChecksumAlgorithms.Parse(a) : null;
        var known = alg is null ? null : KnownPartChecksum(src.Entry, u.ChecksumAlgorithm!, start, length);
        using var sum = alg is { } al && known is null ? ChecksumAlgorithms.Create(al) : null;
        var content = ContentSlicer.TryWholePart(src.Entry, start, length);
        if (content is null)
            content = await ContentSlicer.SliceAsync(r.Store.Content, src.Entry, start, length, sum is null ? null : m => sum.Append(m.Span), r.Ct,
                ContentSlicer.KnownMd5(src.Entry, start, length)).ConfigureAwait(false);
        else if (sum is not null)
            await ContentReader.VisitAsync(r.Store.Chunks, src.Entry, start, length, (m, _) =>
            {
                sum.Append(m.Span);
                return ValueTask.CompletedTask;
            }, r.Ct).ConfigureAwait(false);
        var checksums = new List<KeyValuePair<string, string>>();
        if ((known ?? sum?.GetBase64()) is { } value) checksums.Add(new(u.ChecksumAlgorithm!, value));
        var part = await r.Store.Uploads.PutPartAsync(u, number, content, checksums, r.Started, r.Ct).ConfigureAwait(false);
        r.Response.Headers["x-amz-copy-source-version-id"] = src.Entry.CommitId;
        await XmlOut.WriteAsync(r.Response, "CopyPartResult", w =>
        {
            w.El("LastModified", part.Modified);
            w.El("ETag", part.ETag);
            foreach (var (n, v) in checksums) w.El("Checksum" + n, v);
        }, r.Ct).ConfigureAwait(false);
    }

    /// <summary>bytes=first-last, both required and inside the source (InvalidArgument / InvalidRange otherwise); absent means the whole source.</summary>
    private static (long Start, long Length) SourceRange(string? header, long size)
    {
        if (header is null) return (0, size);
        var h = header.Trim();
        var dash = h.IndexOf('-');
        if (!h.StartsWith("bytes=", StringComparison.Ordinal) || dash < 0
            || !long.TryParse(h.AsSpan(6, dash - 6), NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !long.TryParse(h.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            || last < first)
            throw new S3Exception(S3ErrorCode.InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy");
        if (last >= size) throw new S3Exception(S3ErrorCode.InvalidRange, $"The requested range is not satisfiable: the source is {size} bytes");
        return (first, last - first + 1);
    }

    /// <summary>The recorded checksum of the source range when it is one whole part (or the whole object) in the same algorithm.</summary>
    private static string? KnownPartChecksum(FileEntry f, string alg, long start, long length)
    {
        if (f.Checksums.Count == 0 || f.Checksums[0].Key != alg) return null;
        if (f.Parts.Count == 0)
            return start == 0 && length == f.Size && !f.Checksums[0].Value.Contains('-') ? f.Checksums[0].Value : null;
        long offset = 0;
        foreach (var p in f.Parts)
        {
            if (offset == start && p.Size == length) return p.Checksum;
            offset += p.Size;
        }
        return null;
    }
}
