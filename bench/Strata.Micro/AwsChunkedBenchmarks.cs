using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Strata.S3.Streaming;

namespace Strata.Micro;

/// <summary>
/// Decoding a 16 MiB aws-chunked PutObject body in 64 KiB chunks through <see cref="AwsChunkedStream"/>,
/// read as ContentWriter reads it (large ReadAsync calls). Signed: STREAMING-AWS4-HMAC-SHA256-PAYLOAD,
/// every chunk's SHA-256 and chained HMAC checked. Unsigned: STREAMING-UNSIGNED-PAYLOAD-TRAILER with a
/// checksum trailer (the decoder only frames; the checksum is verified further down the pipeline).
/// </summary>
public class AwsChunkedBenchmarks
{
    private const int Decoded = 16 << 20;
    private const int ChunkSize = 64 << 10;
    private const string Seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

    private byte[] _signedBody = [];
    private byte[] _unsignedBody = [];
    private SigV4ChunkSigner _signer = null!;
    private readonly byte[] _buffer = new byte[(4 << 20) + (1 << 16)];

    [GlobalSetup]
    public void Setup()
    {
        var data = new byte[Decoded];
        new Random(12).NextBytes(data);
        var key = SigV4ChunkSigner.DeriveSigningKey("strata_4f7d0c2b9e8a4b1d8c3e6f5a7b9d0e1f2a3b4c5d", "20261204", "us-east-1", "s3");
        _signer = new SigV4ChunkSigner(key, "20261204T023000Z", "20261204/us-east-1/s3/aws4_request", Seed);

        using (var signed = new MemoryStream())
        using (var unsigned = new MemoryStream())
        {
            var previous = Seed;
            for (var off = 0; off <= Decoded; off += ChunkSize)
            {
                var chunk = data.AsSpan(off, Math.Min(ChunkSize, Decoded - off));
                previous = _signer.GetChunkSignature(previous, SHA256.HashData(chunk));
                signed.Write(Encoding.ASCII.GetBytes($"{chunk.Length:x};chunk-signature={previous}\r\n"));
                unsigned.Write(Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n"));
                if (chunk.Length == 0) break;
                signed.Write(chunk);
                signed.Write("\r\n"u8);
                unsigned.Write(chunk);
                unsigned.Write("\r\n"u8);
            }
            signed.Write("\r\n"u8);
            unsigned.Write("x-amz-checksum-crc64nvme:n5kLQJeplLQ=\r\n\r\n"u8);
            _signedBody = signed.ToArray();
            _unsignedBody = unsigned.ToArray();
        }
        if (Signed().GetAwaiter().GetResult() != Decoded || Unsigned().GetAwaiter().GetResult() != Decoded)
            throw new InvalidOperationException("the encoded bodies do not decode");
    }

    [Benchmark(Baseline = true), BytesPerOp(Decoded)]
    public Task<long> Signed() => DecodeAsync(_signedBody, _signer);

    [Benchmark, BytesPerOp(Decoded)]
    public Task<long> Unsigned() => DecodeAsync(_unsignedBody, null);

    private async Task<long> DecodeAsync(byte[] body, IChunkSigner? signer)
    {
        using var decoder = new AwsChunkedStream(new MemoryStream(body, writable: false), Decoded, signer);
        long total = 0;
        int n;
        while ((n = await decoder.ReadAsync(_buffer, CancellationToken.None).ConfigureAwait(false)) > 0) total += n;
        if (!decoder.IsCompleted) throw new InvalidOperationException("the body did not end cleanly");
        return total;
    }
}
