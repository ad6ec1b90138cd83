using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace Strata.S3.Streaming;

/// <summary>The additional checksums S3 lets a client send (x-amz-checksum-*).</summary>
public enum ChecksumAlgorithm
{
    CRC32,
    CRC32C,
    CRC64NVME,
    SHA1,
    SHA256,
}

/// <summary>Names, header names and hashers for <see cref="ChecksumAlgorithm"/>.</summary>
public static class ChecksumAlgorithms
{
    /// <summary>Prefix shared by every x-amz-checksum-&lt;algorithm&gt; header.</summary>
    public const string HeaderPrefix = "x-amz-checksum-";

    public static IReadOnlyList<ChecksumAlgorithm> All { get; } =
        [ChecksumAlgorithm.CRC32, ChecksumAlgorithm.CRC32C, ChecksumAlgorithm.CRC64NVME, ChecksumAlgorithm.SHA1, ChecksumAlgorithm.SHA256];

    /// <summary>The algorithm named (case-insensitive, e.g. "crc32", "CRC64NVME"), or null if S3 has no such checksum.</summary>
    public static ChecksumAlgorithm? Parse(string? name)
    {
        // Compared by hand rather than Enum.TryParse, which would also accept "0" or "crc32,sha1".
        return name?.Trim().ToUpperInvariant() switch
        {
            "CRC32" => ChecksumAlgorithm.CRC32,
            "CRC32C" => ChecksumAlgorithm.CRC32C,
            "CRC64NVME" => ChecksumAlgorithm.CRC64NVME,
            "SHA1" => ChecksumAlgorithm.SHA1,
            "SHA256" => ChecksumAlgorithm.SHA256,
            _ => null,
        };
    }

    /// <summary>The canonical upper-case name S3 uses in XML and x-amz-checksum-algorithm ("CRC64NVME").</summary>
    public static string Name(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.CRC32 => "CRC32",
        ChecksumAlgorithm.CRC32C => "CRC32C",
        ChecksumAlgorithm.CRC64NVME => "CRC64NVME",
        ChecksumAlgorithm.SHA1 => "SHA1",
        ChecksumAlgorithm.SHA256 => "SHA256",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>The header carrying this checksum, lower case: "x-amz-checksum-crc32".</summary>
    public static string HeaderName(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.CRC32 => "x-amz-checksum-crc32",
        ChecksumAlgorithm.CRC32C => "x-amz-checksum-crc32c",
        ChecksumAlgorithm.CRC64NVME => "x-amz-checksum-crc64nvme",
        ChecksumAlgorithm.SHA1 => "x-amz-checksum-sha1",
        ChecksumAlgorithm.SHA256 => "x-amz-checksum-sha256",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>
    /// The algorithm whose checksum a header (or trailer) carries, case-insensitive; null for any other
    /// header, including x-amz-checksum-algorithm, -type and -mode, which share the prefix.
    /// </summary>
    public static ChecksumAlgorithm? FromHeaderName(string? headerName)
    {
        if (headerName is null) return null;
        var name = headerName.AsSpan().Trim();
        if (!name.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase)) return null;
        return Parse(name[HeaderPrefix.Length..].ToString());
    }

    /// <summary>Digest size in bytes: what a well-formed base64 value must decode to.</summary>
    public static int DigestLength(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.CRC32 or ChecksumAlgorithm.CRC32C => 4,
        ChecksumAlgorithm.CRC64NVME => 8,
        ChecksumAlgorithm.SHA1 => 20,
        ChecksumAlgorithm.SHA256 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>Whether a client-sent value is base64 of exactly this algorithm's digest length.</summary>
    public static bool IsWellFormed(ChecksumAlgorithm algorithm, string? base64)
    {
        if (string.IsNullOrEmpty(base64)) return false;
        Span<byte> buf = stackalloc byte[48];
        return Convert.TryFromBase64String(base64, buf, out var n) && n == DigestLength(algorithm);
    }

    /// <summary>A fresh incremental hasher for the algorithm. Dispose it when done.</summary>
    public static IncrementalChecksum Create(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.CRC32 => new Crc32Checksum(algorithm, new Crc32()),
        ChecksumAlgorithm.CRC32C => new Crc32Checksum(algorithm, new Crc32(Crc32ParameterSet.Crc32C)),
        ChecksumAlgorithm.CRC64NVME => new Crc64Checksum(new Crc64(Crc64ParameterSet.Nvme)),
        ChecksumAlgorithm.SHA1 => new ShaChecksum(algorithm, IncrementalHash.CreateHash(HashAlgorithmName.SHA1)),
        ChecksumAlgorithm.SHA256 => new ShaChecksum(algorithm, IncrementalHash.CreateHash(HashAlgorithmName.SHA256)),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>One-shot checksum of a buffer, base64 as S3 sends it.</summary>
    public static string ComputeBase64(ChecksumAlgorithm algorithm, ReadOnlySpan<byte> data)
    {
        using var c = Create(algorithm);
        c.Append(data);
        return c.GetBase64();
    }

    // System.IO.Hashing's GetCurrentHash writes CRCs little-endian; S3 wants the big-endian
    // (network order) value, so the digests below are built from the integer instead.
    private sealed class Crc32Checksum(ChecksumAlgorithm algorithm, Crc32 crc) : IncrementalChecksum(algorithm)
    {
        public override void Append(ReadOnlySpan<byte> data) => crc.Append(data);

        public override byte[] GetDigest()
        {
            var digest = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(digest, crc.GetCurrentHashAsUInt32());
            return digest;
        }
    }

    private sealed class Crc64Checksum(Crc64 crc) : IncrementalChecksum(ChecksumAlgorithm.CRC64NVME)
    {
        public override void Append(ReadOnlySpan<byte> data) => crc.Append(data);

        public override byte[] GetDigest()
        {
            var digest = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(digest, crc.GetCurrentHashAsUInt64());
            return digest;
        }
    }

    private sealed class ShaChecksum(ChecksumAlgorithm algorithm, IncrementalHash hash) : IncrementalChecksum(algorithm)
    {
        public override void Append(ReadOnlySpan<byte> data) => hash.AppendData(data);

        // GetCurrentHash rather than GetHashAndReset, so reading the digest never disturbs the state.
        public override byte[] GetDigest() => hash.GetCurrentHash();

        protected override void Dispose(bool disposing)
        {
            if (disposing) hash.Dispose();
        }
    }
}

/// <summary>A checksum computed over data appended piece by piece.</summary>
public abstract class IncrementalChecksum(ChecksumAlgorithm algorithm) : IDisposable
{
    public ChecksumAlgorithm Algorithm { get; } = algorithm;

    public abstract void Append(ReadOnlySpan<byte> data);

    /// <summary>The digest of everything appended so far, big-endian; appending may continue afterwards.</summary>
    public abstract byte[] GetDigest();

    /// <summary>The digest as S3 sends it in x-amz-checksum-* headers: base64 of the big-endian bytes.</summary>
    public string GetBase64() => Convert.ToBase64String(GetDigest());

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }
}
