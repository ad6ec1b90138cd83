using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Strata.Core;

namespace Strata.Micro;

/// <summary>
/// Single-core digests of one buffer: BLAKE3 (chunk and node addresses), MD5 (the S3 ETag, fed in
/// 1 MiB appends as a PUT's body arrives), and SHA-256 for reference (signed payloads and aws-chunked
/// chunk signatures hash every byte with it). 16 KiB is about a full tree leaf (14 KB encoded),
/// which the tree writer addresses with BLAKE3.
/// </summary>
public class HashBenchmarks
{
    private const int Append = 1 << 20;
    private byte[] _data = [];

    [Params(4 << 10, 16 << 10, 1 << 20, 64 << 20)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(12).NextBytes(_data);
    }

    [Benchmark(Baseline = true)]
    public Hash Blake3() => Hash.Of(_data);

    [Benchmark]
    public byte[] Md5() => Incremental(HashAlgorithmName.MD5);

    [Benchmark]
    public byte[] Sha256() => Incremental(HashAlgorithmName.SHA256);

    private byte[] Incremental(HashAlgorithmName algorithm)
    {
        using var h = IncrementalHash.CreateHash(algorithm);
        for (var off = 0; off < _data.Length; off += Append)
            h.AppendData(_data, off, Math.Min(Append, _data.Length - off));
        return h.GetHashAndReset();
    }
}
