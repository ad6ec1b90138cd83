using System.Buffers.Binary;

namespace Strata.S3.Streaming;

/// <summary>
/// Combines CRCs of consecutive pieces into the CRC of their concatenation without reading the
/// bytes (zlib's crc32_combine, generalised to 32- and 64-bit reflected CRCs). Multipart uploads
/// use it for FULL_OBJECT checksums: the parts' CRCs give the object's.
/// </summary>
public static class CrcCombine
{
    private sealed class Poly
    {
        public readonly int Width;
        public readonly ulong Reflected;
        public readonly ulong[] X2n = new ulong[64];

        public Poly(int width, ulong reflected)
        {
            Width = width;
            Reflected = reflected;
            var p = 1UL << (width - 2); // x^1
            X2n[0] = p;
            for (var n = 1; n < 64; n++) X2n[n] = p = Mult(p, p);
        }

        public ulong Mult(ulong a, ulong b)
        {
            var m = 1UL << (Width - 1);
            ulong p = 0;
            while (true)
            {
                if ((a & m) != 0)
                {
                    p ^= b;
                    if ((a & (m - 1)) == 0) break;
                }
                m >>= 1;
                if (m == 0) break;
                b = (b & 1) != 0 ? (b >> 1) ^ Reflected : b >> 1;
            }
            return p;
        }

        /// <summary>x^(8 * bytes) mod P.</summary>
        public ulong X8n(long bytes)
        {
            var p = 1UL << (Width - 1); // x^0
            var k = 3;
            for (var n = bytes; n != 0; n >>= 1, k++)
                if ((n & 1) != 0) p = Mult(X2n[k & 63], p);
            return p;
        }
    }

    private static readonly Poly Crc32 = new(32, 0xEDB88320);
    private static readonly Poly Crc32C = new(32, 0x82F63B78);
    private static readonly Poly Crc64Nvme = new(64, 0x9A6C9329AC4BC9B5);

    /// <summary>CRC of A||B from crc(A), crc(B) and the length of B.</summary>
    public static ulong Combine(ChecksumAlgorithm alg, ulong crcA, ulong crcB, long lengthB)
    {
        var p = For(alg);
        return p.Mult(p.X8n(lengthB), crcA) ^ crcB;
    }

    /// <summary>Combines base64 (big-endian) CRCs of consecutive pieces with their lengths.</summary>
    public static string CombineBase64(ChecksumAlgorithm alg, IReadOnlyList<(string Base64, long Length)> pieces)
    {
        var p = For(alg);
        ulong acc = 0;
        var first = true;
        foreach (var (b64, len) in pieces)
        {
            var v = FromBase64(p, b64);
            acc = first ? v : Combine(alg, acc, v, len);
            first = false;
        }
        var bytes = new byte[p.Width / 8];
        if (p.Width == 32) BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)acc);
        else BinaryPrimitives.WriteUInt64BigEndian(bytes, acc);
        return Convert.ToBase64String(bytes);
    }

    public static bool Supports(ChecksumAlgorithm alg) => alg is ChecksumAlgorithm.CRC32 or ChecksumAlgorithm.CRC32C or ChecksumAlgorithm.CRC64NVME;

    private static ulong FromBase64(Poly p, string b64)
    {
        var b = Convert.FromBase64String(b64);
        return p.Width == 32 ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    private static Poly For(ChecksumAlgorithm alg) => alg switch
    {
        ChecksumAlgorithm.CRC32 => Crc32,
        ChecksumAlgorithm.CRC32C => Crc32C,
        ChecksumAlgorithm.CRC64NVME => Crc64Nvme,
        _ => throw new ArgumentException($"{alg} cannot be combined"),
    };
}
