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
        var part = await r.Store.Uploads.PutPartAsync(u, number, body.Content, body.Checksums, r.Ct).ConfigureAwait(false);
        r.Response.Headers.ETag = part.ETag;
        foreach (var (name, v) in body.Checksums) r.Response.Headers["x-amz-checksum-" + name.ToLowerInvariant()] = v;
    }

    public static async Task UploadPartCopyAsync(S3Request r)
    {
        var number = PartNumber(r);
        var u = await UploadAsync(r).ConfigureAwait(false);
        var src = await CopySource.ResolveAsync(r).ConfigureAwait(false);
        var (start, length) = SourceRange(r.Header("x-amz-copy-source-range"), src.Entry.Size);
        // A copy of exactly one source part (aws s3 cp s3://… s3://… uses the same part size) reads nothing.
        var content = ContentSlicer.TryWholePart(src.Entry, start, length)
            ?? await ContentSlicer.SliceAsync(r.Store.Chunks, src.Entry, start, length, r.Ct).ConfigureAwait(false);
        var checksums = new List<KeyValuePair<string, string>>();
        if (u.ChecksumAlgorithm is { } a && ChecksumAlgorithms.Parse(a) is { } alg)
            checksums.Add(new(a, KnownPartChecksum(src.Entry, a, start, length)
                ?? await ComputeAsync(r, alg, src.Entry, start, length).ConfigureAwait(false)));
        var part = await r.Store.Uploads.PutPartAsync(u, number, content, checksums, r.Ct).ConfigureAwait(false);
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

    private static async Task<string> ComputeAsync(S3Request r, ChecksumAlgorithm alg, FileEntry f, long start, long length)
    {
        using var sink = new ChecksumSink(alg);
        await ContentReader.CopyToAsync(r.Store.Chunks, f, start, length, sink, r.Ct).ConfigureAwait(false);
        return sink.Checksum.GetBase64();
    }

    /// <summary>A write-only stream that only checksums what is written to it.</summary>
    private sealed class ChecksumSink(ChecksumAlgorithm alg) : Stream
    {
        public IncrementalChecksum Checksum { get; } = ChecksumAlgorithms.Create(alg);
        public override void Write(ReadOnlySpan<byte> buffer) => Checksum.Append(buffer);
        public override void Write(byte[] buffer, int offset, int count) => Checksum.Append(buffer.AsSpan(offset, count));
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            Checksum.Append(buffer.Span);
            return ValueTask.CompletedTask;
        }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) Checksum.Dispose();
            base.Dispose(disposing);
        }
    }
}
