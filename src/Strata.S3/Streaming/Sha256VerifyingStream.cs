using System.Security.Cryptography;
using Strata.S3.Errors;

namespace Strata.S3.Streaming;

/// <summary>
/// Passes a body through and, when it ends, checks its SHA-256 against x-amz-content-sha256;
/// a mismatch throws XAmzContentSHA256Mismatch before the reader sees end-of-stream, so a
/// handler that reads to the end before committing never commits a tampered body.
/// </summary>
public sealed class Sha256VerifyingStream(Stream inner, string expectedHex) : ReadOnlyStream
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _done;
    private long _read;

    protected override long BytesSoFar => _read;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        if (n > 0)
        {
            _sha.AppendData(buffer.Span[..n]);
            _read += n;
        }
        else if (!_done && buffer.Length > 0)
        {
            _done = true;
            if (!string.Equals(Convert.ToHexStringLower(_sha.GetHashAndReset()), expectedHex, StringComparison.OrdinalIgnoreCase))
                throw new S3Exception(S3ErrorCode.XAmzContentSHA256Mismatch);
        }
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override bool CanRead => true;

    protected override void Dispose(bool disposing)
    {
        if (disposing) _sha.Dispose();
        base.Dispose(disposing);
    }
}
