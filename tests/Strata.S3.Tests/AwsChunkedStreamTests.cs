using System.Text;
using Strata.S3.Errors;
using Strata.S3.Streaming;

namespace Strata.S3.Tests;

public class AwsChunkedStreamTests
{
    // AWS S3 API reference, "Signature Calculations for the Authorization Header: Transferring Payload
    // in Multiple Chunks" (sigv4-streaming), Example: PUT Object — 65536 then 1024 bytes of 'a'.
    // The signatures were also recomputed independently (Python hmac/hashlib).
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private const string AmzDate = "20130524T000000Z";
    private const string Scope = "20130524/us-east-1/s3/aws4_request";
    private const string Seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    private const string Sig1 = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
    private const string Sig2 = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
    private const string SigFinal = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";

    // AWS sigv4-streaming-trailers example: the same data with a CRC32C trailer.
    private const string TrailerSeed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    private const string TrailerSig1 = "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2";
    private const string TrailerSig2 = "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7";
    private const string TrailerSigFinal = "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992";
    private const string TrailerSignature = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

    private static readonly string Chunk1 = new('a', 65536);
    private static readonly string Chunk2 = new('a', 1024);

    private static SigV4ChunkSigner Signer(string seed = Seed) =>
        new(SigV4ChunkSigner.DeriveSigningKey(Secret, "20130524", "us-east-1", "s3"), AmzDate, Scope, seed);

    private static string ExampleBody(string sig1 = Sig1, string sig2 = Sig2, string sigFinal = SigFinal) =>
        "10000;chunk-signature=" + sig1 + "\r\n" + Chunk1 + "\r\n"
        + "400;chunk-signature=" + sig2 + "\r\n" + Chunk2 + "\r\n"
        + "0;chunk-signature=" + sigFinal + "\r\n\r\n";

    private static string TrailerExampleBody(string trailer = "x-amz-checksum-crc32c:sOO8/Q==\r\n", string trailerSig = TrailerSignature) =>
        "10000;chunk-signature=" + TrailerSig1 + "\r\n" + Chunk1 + "\r\n"
        + "400;chunk-signature=" + TrailerSig2 + "\r\n" + Chunk2 + "\r\n"
        + "0;chunk-signature=" + TrailerSigFinal + "\r\n"
        + trailer + "x-amz-trailer-signature:" + trailerSig + "\r\n\r\n";

    private static MemoryStream Bytes(string s) => new(Encoding.Latin1.GetBytes(s));

    private static async Task<byte[]> DecodeAsync(Stream s)
    {
        var output = new MemoryStream();
        await s.CopyToAsync(output, CancellationToken.None);
        return output.ToArray();
    }

    private static async Task<S3ErrorCode> FailureAsync(string body, long? decodedLength = null, IChunkSigner? signer = null)
    {
        await using var s = new AwsChunkedStream(Bytes(body), decodedLength, signer);
        var e = await Assert.ThrowsAsync<S3Exception>(() => DecodeAsync(s));
        return e.Code;
    }

    [Fact]
    public void SignerReproducesAwsChunkSignatures()
    {
        var signer = Signer();
        var s1 = signer.GetChunkSignature(Seed, System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes(Chunk1)));
        var s2 = signer.GetChunkSignature(s1, System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes(Chunk2)));
        var s3 = signer.GetChunkSignature(s2, System.Security.Cryptography.SHA256.HashData([]));
        Assert.Equal(new[] { Sig1, Sig2, SigFinal }, new[] { s1, s2, s3 });
    }

    [Fact]
    public async Task DecodesAwsSignedExample()
    {
        await using var s = new AwsChunkedStream(Bytes(ExampleBody()), 66560, Signer());
        var data = await DecodeAsync(s);
        Assert.Equal(66560, data.Length);
        Assert.All(data, b => Assert.Equal((byte)'a', b));
        Assert.True(s.IsCompleted);
        Assert.Equal(66560, s.DecodedBytes);
        Assert.Empty(s.Trailers);
    }

    [Fact]
    public async Task DecodesAwsSignedTrailerExample()
    {
        await using var s = new AwsChunkedStream(Bytes(TrailerExampleBody()), 66560, Signer(TrailerSeed));
        var hashing = new ChecksumStream(s, [ChecksumAlgorithm.CRC32C]);
        var data = await DecodeAsync(hashing);
        Assert.Equal(66560, data.Length);
        Assert.Equal("sOO8/Q==", s.Trailers["x-amz-checksum-crc32c"]);
        Assert.Equal(s.Trailers["x-amz-checksum-crc32c"], hashing.GetBase64(ChecksumAlgorithm.CRC32C));
        Assert.False(s.Trailers.ContainsKey("x-amz-trailer-signature"));
    }

    [Fact]
    public async Task TamperedDataByteFailsSignature()
    {
        var body = ExampleBody();
        var i = body.IndexOf("\r\n", StringComparison.Ordinal) + 2 + 30_000;
        body = body[..i] + "b" + body[(i + 1)..];
        Assert.Equal(S3ErrorCode.SignatureDoesNotMatch, await FailureAsync(body, 66560, Signer()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task TamperedSignatureFails(int which)
    {
        var sigs = new[] { Sig1, Sig2, SigFinal };
        sigs[which] = sigs[which][..63] + (sigs[which][63] == '0' ? '1' : '0');
        Assert.Equal(S3ErrorCode.SignatureDoesNotMatch, await FailureAsync(ExampleBody(sigs[0], sigs[1], sigs[2]), 66560, Signer()));
    }

    [Fact]
    public async Task MissingOrReorderedSignaturesFail()
    {
        Assert.Equal(S3ErrorCode.SignatureDoesNotMatch,
            await FailureAsync(ExampleBody().Replace("400;chunk-signature=" + Sig2, "400"), 66560, Signer()));
        // The chain makes order matter: the first chunk's signature does not fit the second.
        Assert.Equal(S3ErrorCode.SignatureDoesNotMatch, await FailureAsync(ExampleBody(Sig2, Sig1), null, Signer()));
        // A wrong seed breaks the very first chunk.
        Assert.Equal(S3ErrorCode.SignatureDoesNotMatch, await FailureAsync(ExampleBody(), 66560, Signer(TrailerSeed)));
    }

    [Fact]
    public async Task SignaturesAreIgnoredWithoutSigner()
    {
        await using var s = new AwsChunkedStream(Bytes(ExampleBody(sig2: "not-a-signature")), 66560, null);
        Assert.Equal(66560, (await DecodeAsync(s)).Length);
    }

    [Theory]
    [InlineData("x-amz-checksum-crc32c:AAAAAA==\r\n")] // changed checksum
    [InlineData("x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-meta-extra:1\r\n")] // added trailer
    [InlineData("")] // dropped trailer
    public async Task TamperedTrailerFailsSignature(string trailer) =>
        Assert.Equal(S3ErrorCode.SignatureDoesNotMatch, await FailureAsync(TrailerExampleBody(trailer), 66560, Signer(TrailerSeed)));

    [Fact]
    public async Task TrailerWithoutSignatureFailsWhenSigned()
    {
        var body = TrailerExampleBody().Replace("x-amz-trailer-signature:" + TrailerSignature + "\r\n", "");
        Assert.Equal(S3ErrorCode.SignatureDoesNotMatch, await FailureAsync(body, 66560, Signer(TrailerSeed)));
        // A trailer added to a body signed without trailers is refused too.
        Assert.Equal(S3ErrorCode.SignatureDoesNotMatch,
            await FailureAsync(ExampleBody()[..^2] + "x-amz-checksum-crc32:NSRBwg==\r\n\r\n", 66560, Signer()));
    }

    [Fact]
    public async Task DecodesUnsignedTrailerWithCrc32()
    {
        // STREAMING-UNSIGNED-PAYLOAD-TRAILER as the AWS SDKs send it; DUoRhQ== is CRC32("hello world").
        var body = "6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        await using var s = new AwsChunkedStream(Bytes(body), 11);
        var hashing = new ChecksumStream(s, [ChecksumAlgorithm.CRC32]);
        Assert.Equal("hello world"u8.ToArray(), await DecodeAsync(hashing));
        Assert.Equal("DUoRhQ==", s.Trailers[ChecksumAlgorithms.HeaderName(ChecksumAlgorithm.CRC32)]);
        Assert.Equal(s.Trailers["x-amz-checksum-crc32"], hashing.GetBase64(ChecksumAlgorithm.CRC32));
    }

    [Theory]
    [InlineData("b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n")] // no closing blank line
    [InlineData("b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==")] // nor CRLF after the trailer
    [InlineData("b\nhello world\n0\nx-amz-checksum-crc32:DUoRhQ==\n\n")] // bare LFs
    [InlineData("B\r\nhello world\r\n0\r\nX-Amz-Checksum-CRC32 : DUoRhQ== \r\n\r\n")] // upper case, spaces
    [InlineData("b;chunk-signature=00;other=1\r\nhello world\r\n0;chunk-signature=00\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n")]
    public async Task LenientWhereClientsAre(string body)
    {
        await using var s = new AwsChunkedStream(Bytes(body), 11);
        Assert.Equal("hello world"u8.ToArray(), await DecodeAsync(s));
        Assert.Equal("DUoRhQ==", s.Trailers["x-amz-checksum-crc32"]);
    }

    [Theory]
    [InlineData("b\r\nhello world\r\n0\r\n")]
    [InlineData("b\r\nhello world\r\n0\r\n\r\n")]
    public async Task NoTrailers(string body)
    {
        await using var s = new AwsChunkedStream(Bytes(body));
        Assert.Equal("hello world"u8.ToArray(), await DecodeAsync(s));
        Assert.Empty(s.Trailers);
    }

    [Fact]
    public async Task TruncatedBodyIsIncomplete()
    {
        var body = "6\r\nhello \r\n5\r\nworld\r\n0\r\n";
        // Every cut before the final chunk header's LF is a truncated body.
        for (var cut = 0; cut < body.Length; cut++)
            Assert.Equal(S3ErrorCode.IncompleteBody, await FailureAsync(body[..cut]));

        var signed = ExampleBody();
        foreach (var cut in new[] { 10, 100, 65_000, 65_628, signed.Length - 40 })
            Assert.Equal(S3ErrorCode.IncompleteBody, await FailureAsync(signed[..cut], 66560, Signer()));
    }

    [Fact]
    public async Task DecodedLengthIsEnforced()
    {
        Assert.Equal(S3ErrorCode.IncompleteBody, await FailureAsync(ExampleBody(), 66561, Signer()));
        Assert.Equal(S3ErrorCode.InvalidRequest, await FailureAsync(ExampleBody(), 66559, Signer()));
        Assert.Equal(S3ErrorCode.InvalidRequest, await FailureAsync("b\r\nhello world\r\n0\r\n\r\n", 5));
    }

    [Theory]
    [InlineData("zz\r\nhello\r\n0\r\n\r\n")] // not hex
    [InlineData("\r\nhello\r\n0\r\n\r\n")] // no size
    [InlineData("-5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("fffffffffff\r\n")] // 11 hex digits
    [InlineData("ffffffffff\r\n")] // over the chunk size limit
    [InlineData("5\r\nhello world\r\n0\r\n\r\n")] // data longer than declared
    [InlineData("b\r\nhello world\r\n0\r\nno-colon-here\r\n\r\n")]
    [InlineData("b\r\nhello world\r\n0\r\na:1\r\na:2\r\n\r\n")] // duplicate trailer
    public async Task MalformedFramingIsInvalid(string body) =>
        Assert.Equal(S3ErrorCode.InvalidRequest, await FailureAsync(body));

    [Fact]
    public async Task OversizeLinesAreRejected()
    {
        Assert.Equal(S3ErrorCode.InvalidRequest, await FailureAsync("1;" + new string('x', 5000) + "\r\na\r\n0\r\n\r\n"));
        // Even without any line end in sight the decoder stops at the limit instead of buffering on.
        Assert.Equal(S3ErrorCode.InvalidRequest, await FailureAsync("1;" + new string('x', 100_000)));
        Assert.Equal(S3ErrorCode.InvalidRequest, await FailureAsync("1\r\na\r\n0\r\nx-amz-meta-a:" + new string('v', 5000) + "\r\n\r\n"));
        // A line of exactly the limit is fine.
        var ext = new string('x', AwsChunkedStream.MaxLineLength - 2);
        await using var s = new AwsChunkedStream(Bytes("1;" + ext + "\r\na\r\n0\r\n\r\n"));
        Assert.Equal("a"u8.ToArray(), await DecodeAsync(s));
    }

    [Fact]
    public async Task TinyReadsFromSlowStreamDecodeSignedExample()
    {
        await using var s = new AwsChunkedStream(new TrickleStream(Encoding.ASCII.GetBytes(ExampleBody())), 66560, Signer());
        var output = new MemoryStream();
        var one = new byte[1];
        while (await s.ReadAsync(one, CancellationToken.None) == 1) output.WriteByte(one[0]);
        Assert.Equal(66560, output.Length);
        Assert.All(output.ToArray(), b => Assert.Equal((byte)'a', b));
        Assert.True(s.IsCompleted);
    }

    [Fact]
    public async Task TinyReadsFromSlowStreamDecodeUnsignedTrailer()
    {
        var body = "6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        await using var s = new AwsChunkedStream(new TrickleStream(Encoding.ASCII.GetBytes(body)), 11);
        var output = new MemoryStream();
        var one = new byte[1];
        while (await s.ReadAsync(one, CancellationToken.None) == 1) output.WriteByte(one[0]);
        Assert.Equal("hello world"u8.ToArray(), output.ToArray());
        Assert.Equal("DUoRhQ==", s.Trailers["x-amz-checksum-crc32"]);
    }

    [Fact]
    public void SynchronousReadsWork()
    {
        using var s = new AwsChunkedStream(Bytes(ExampleBody()), 66560, Signer());
        var output = new MemoryStream();
        s.CopyTo(output, 1000);
        Assert.Equal(66560, output.Length);
    }

    [Fact]
    public async Task ErrorsAreStickyAndTrailersUnavailable()
    {
        await using var s = new AwsChunkedStream(Bytes("b\r\nhello"), 11);
        await Assert.ThrowsAsync<S3Exception>(() => DecodeAsync(s));
        var again = await Assert.ThrowsAsync<S3Exception>(async () => _ = await s.ReadAsync(new byte[10], CancellationToken.None));
        Assert.Equal(S3ErrorCode.IncompleteBody, again.Code);
        Assert.Throws<InvalidOperationException>(() => s.Trailers);
    }

    /// <summary>A network-like inner stream: asynchronous, and one byte per read.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _pos;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _pos; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            if (buffer.IsEmpty || _pos == data.Length) return 0;
            buffer.Span[0] = data[_pos++];
            return 1;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
