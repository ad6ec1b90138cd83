namespace Strata.Core;

/// <summary>A 32-byte BLAKE3 digest: the address of a chunk or a tree node.</summary>
public readonly record struct Hash(UInt128 Hi, UInt128 Lo)
{
    public const int Size = 32;

    public static Hash Of(ReadOnlySpan<byte> data)
    {
        Span<byte> d = stackalloc byte[Size];
        Blake3.Hasher.Hash(data, d);
        return FromBytes(d);
    }

    public static Hash FromBytes(ReadOnlySpan<byte> b) =>
        new(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(b),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(b[16..]));

    public void WriteTo(Span<byte> b)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(b, Hi);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(b[16..], Lo);
    }

    public byte[] ToBytes()
    {
        var b = new byte[Size];
        WriteTo(b);
        return b;
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[Size];
        WriteTo(b);
        return Convert.ToHexStringLower(b);
    }

    public static Hash Parse(string hex) => FromBytes(Convert.FromHexString(hex));
}
