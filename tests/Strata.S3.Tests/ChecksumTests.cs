using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Strata.S3.Streaming;

namespace Strata.S3.Tests;

public class ChecksumTests
{
    // "" / "abc" / "Hello world" are the AWS SDKs' flexible-checksum test vectors; every value was
    // also recomputed independently (Python zlib/hashlib and a bitwise CRC-32C / CRC-64/NVME).
    [Theory]
    [InlineData(ChecksumAlgorithm.CRC32, "", "AAAAAA==")]
    [InlineData(ChecksumAlgorithm.CRC32, "abc", "NSRBwg==")]
    [InlineData(ChecksumAlgorithm.CRC32, "Hello world", "i9aeUg==")]
    [InlineData(ChecksumAlgorithm.CRC32, "hello world", "DUoRhQ==")]
    [InlineData(ChecksumAlgorithm.CRC32, "123456789", "y/Q5Jg==")] // check value 0xCBF43926
    [InlineData(ChecksumAlgorithm.CRC32C, "", "AAAAAA==")]
    [InlineData(ChecksumAlgorithm.CRC32C, "abc", "Nks/tw==")]
    [InlineData(ChecksumAlgorithm.CRC32C, "Hello world", "crUfeA==")]
    [InlineData(ChecksumAlgorithm.CRC32C, "hello world", "yZRlqg==")]
    [InlineData(ChecksumAlgorithm.CRC32C, "123456789", "4waSgw==")] // check value 0xE3069283
    [InlineData(ChecksumAlgorithm.CRC64NVME, "", "AAAAAAAAAAA=")]
    [InlineData(ChecksumAlgorithm.CRC64NVME, "abc", "BeXKuz/B+us=")]
    [InlineData(ChecksumAlgorithm.CRC64NVME, "Hello world", "OOJZ0D8xKts=")]
    [InlineData(ChecksumAlgorithm.CRC64NVME, "hello world", "jSnVw/bqjr4=")]
    [InlineData(ChecksumAlgorithm.CRC64NVME, "123456789", "rosUhgp5mIg=")] // check value 0xAE8B14860A799888
    [InlineData(ChecksumAlgorithm.SHA1, "", "2jmj7l5rSw0yVb/vlWAYkK/YBwk=")]
    [InlineData(ChecksumAlgorithm.SHA1, "abc", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")]
    [InlineData(ChecksumAlgorithm.SHA1, "Hello world", "e1AsOh9IyGCa4hLN+2Od7jlnP14=")]
    [InlineData(ChecksumAlgorithm.SHA1, "hello world", "Kq5sNclPz7QV2+lfQIuc6R7oRu0=")]
    [InlineData(ChecksumAlgorithm.SHA256, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")]
    [InlineData(ChecksumAlgorithm.SHA256, "abc", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")]
    [InlineData(ChecksumAlgorithm.SHA256, "Hello world", "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=")]
    [InlineData(ChecksumAlgorithm.SHA256, "hello world", "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")]
    public void KnownVectors(ChecksumAlgorithm algorithm, string input, string expected)
    {
        var data = Encoding.ASCII.GetBytes(input);
        Assert.Equal(expected, ChecksumAlgorithms.ComputeBase64(algorithm, data));

        // Byte-by-byte appends must agree with one shot, and reading the digest must not disturb it.
        using var c = ChecksumAlgorithms.Create(algorithm);
        Assert.Equal(algorithm, c.Algorithm);
        foreach (var b in data)
        {
            c.Append([b]);
            _ = c.GetBase64();
        }
        Assert.Equal(expected, c.GetBase64());
        Assert.Equal(ChecksumAlgorithms.DigestLength(algorithm), c.GetDigest().Length);
        Assert.True(ChecksumAlgorithms.IsWellFormed(algorithm, expected));
    }

    [Fact]
    public void CrcCheckValuesAreBigEndian()
    {
        var check = "123456789"u8;
        Assert.Equal("E3069283", Convert.ToHexString(Convert.FromBase64String(ChecksumAlgorithms.ComputeBase64(ChecksumAlgorithm.CRC32C, check))));
        Assert.Equal("AE8B14860A799888", Convert.ToHexString(Convert.FromBase64String(ChecksumAlgorithms.ComputeBase64(ChecksumAlgorithm.CRC64NVME, check))));
        Assert.Equal("CBF43926", Convert.ToHexString(Convert.FromBase64String(ChecksumAlgorithms.ComputeBase64(ChecksumAlgorithm.CRC32, check))));
    }

    [Theory]
    [InlineData("crc32", ChecksumAlgorithm.CRC32)]
    [InlineData("CRC32", ChecksumAlgorithm.CRC32)]
    [InlineData("Crc32c", ChecksumAlgorithm.CRC32C)]
    [InlineData("CRC64NVME", ChecksumAlgorithm.CRC64NVME)]
    [InlineData("crc64nvme", ChecksumAlgorithm.CRC64NVME)]
    [InlineData("sha1", ChecksumAlgorithm.SHA1)]
    [InlineData(" SHA256 ", ChecksumAlgorithm.SHA256)]
    public void ParsesNames(string name, ChecksumAlgorithm expected) => Assert.Equal(expected, ChecksumAlgorithms.Parse(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("md5")]
    [InlineData("sha-256")]
    [InlineData("0")]
    [InlineData("crc32,sha1")]
    public void RejectsUnknownNames(string? name) => Assert.Null(ChecksumAlgorithms.Parse(name));

    [Fact]
    public void HeaderNamesRoundTrip()
    {
        foreach (var a in ChecksumAlgorithms.All)
        {
            var header = ChecksumAlgorithms.HeaderName(a);
            Assert.Equal("x-amz-checksum-" + ChecksumAlgorithms.Name(a).ToLowerInvariant(), header);
            Assert.Equal(a, ChecksumAlgorithms.FromHeaderName(header));
            Assert.Equal(a, ChecksumAlgorithms.FromHeaderName(header.ToUpperInvariant()));
            Assert.Equal(a, ChecksumAlgorithms.Parse(ChecksumAlgorithms.Name(a)));
        }
        Assert.Equal("x-amz-checksum-crc64nvme", ChecksumAlgorithms.HeaderName(ChecksumAlgorithm.CRC64NVME));
        Assert.Equal(ChecksumAlgorithm.CRC32, ChecksumAlgorithms.FromHeaderName("X-Amz-Checksum-Crc32"));
    }

    [Theory]
    [InlineData("x-amz-checksum-algorithm")]
    [InlineData("x-amz-checksum-type")]
    [InlineData("x-amz-checksum-mode")]
    [InlineData("x-amz-checksum-")]
    [InlineData("content-md5")]
    [InlineData("x-amz-content-sha256")]
    public void OtherHeadersAreNotChecksums(string header) => Assert.Null(ChecksumAlgorithms.FromHeaderName(header));

    [Theory]
    [InlineData(ChecksumAlgorithm.CRC32, "AAAAAA==", true)]
    [InlineData(ChecksumAlgorithm.CRC32, "AAAAAAAAAAA=", false)] // 8 bytes: a CRC64 value
    [InlineData(ChecksumAlgorithm.CRC64NVME, "AAAAAAAAAAA=", true)]
    [InlineData(ChecksumAlgorithm.SHA256, "not base64!", false)]
    [InlineData(ChecksumAlgorithm.SHA1, "", false)]
    public void WellFormedness(ChecksumAlgorithm a, string value, bool ok) => Assert.Equal(ok, ChecksumAlgorithms.IsWellFormed(a, value));

    [Fact]
    public void SigningKeyMatchesAwsPublishedVector()
    {
        // AWS General Reference SigV4 example (iam, 20120215).
        var key = SigV4ChunkSigner.DeriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
        Assert.Equal("f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d", Convert.ToHexStringLower(key));
    }

    [Fact]
    public async Task ChecksumStreamHashesWhatIsRead()
    {
        var data = new byte[300_001];
        new Random(42).NextBytes(data);
        await using var s = new ChecksumStream(new MemoryStream(data), ChecksumAlgorithms.All, computeMd5: true);
        Assert.Equal(ChecksumAlgorithms.All, s.Algorithms);

        // Odd read sizes so hashing sees many partial blocks.
        var buf = new byte[7919];
        var sizes = new[] { 1, 13, 7919, 4096, 2 };
        var total = 0;
        for (var i = 0; ; i++)
        {
            var n = await s.ReadAsync(buf.AsMemory(0, sizes[i % sizes.Length]), CancellationToken.None);
            if (n == 0) break;
            total += n;
            Assert.Equal(total, s.BytesRead);
        }
        Assert.Equal(data.Length, total);
        Assert.True(s.IsCompleted);
        Assert.Equal(MD5.HashData(data), s.Md5);
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(data)), s.GetBase64(ChecksumAlgorithm.SHA256));
        Assert.Equal(Convert.ToBase64String(SHA1.HashData(data)), s.GetBase64(ChecksumAlgorithm.SHA1));
        var crc = Crc32.HashToUInt32(data);
        Assert.Equal(Convert.ToBase64String([(byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc]), s.GetBase64(ChecksumAlgorithm.CRC32));
        Assert.Equal(ChecksumAlgorithms.ComputeBase64(ChecksumAlgorithm.CRC32C, data), s.GetBase64(ChecksumAlgorithm.CRC32C));
        Assert.Equal(ChecksumAlgorithms.ComputeBase64(ChecksumAlgorithm.CRC64NVME, data), s.GetBase64(ChecksumAlgorithm.CRC64NVME));
    }

    [Fact]
    public async Task ChecksumStreamResultsWaitForEndOfStream()
    {
        await using var s = new ChecksumStream(new MemoryStream("hello world"u8.ToArray()), [ChecksumAlgorithm.CRC32], computeMd5: true);
        var buf = new byte[11];
        Assert.Equal(11, await s.ReadAsync(buf, CancellationToken.None));
        // All bytes read, but end of stream not yet seen.
        Assert.Throws<InvalidOperationException>(() => s.GetBase64(ChecksumAlgorithm.CRC32));
        Assert.Throws<InvalidOperationException>(() => s.Md5);
        // A zero-length read is not end of stream.
        Assert.Equal(0, await s.ReadAsync(Memory<byte>.Empty, CancellationToken.None));
        Assert.False(s.IsCompleted);
        Assert.Equal(0, await s.ReadAsync(buf, CancellationToken.None));
        Assert.Equal("DUoRhQ==", s.GetBase64(ChecksumAlgorithm.CRC32));
        Assert.Equal("XrY7u+Ae7tCTyyK7j1rNww==", Convert.ToBase64String(s.Md5!));
        Assert.Throws<InvalidOperationException>(() => s.GetBase64(ChecksumAlgorithm.SHA256));
    }

    [Fact]
    public void ChecksumStreamSyncReadsAndNoMd5()
    {
        using var s = new ChecksumStream(new MemoryStream("abc"u8.ToArray()), [ChecksumAlgorithm.CRC64NVME, ChecksumAlgorithm.CRC64NVME]);
        var copy = new MemoryStream();
        s.CopyTo(copy);
        Assert.Equal(3, s.BytesRead);
        Assert.Null(s.Md5);
        Assert.Equal("BeXKuz/B+us=", s.GetBase64(ChecksumAlgorithm.CRC64NVME));
        Assert.Single(s.Algorithms);
    }
}
