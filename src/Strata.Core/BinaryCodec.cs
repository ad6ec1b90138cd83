using System.Text;

namespace Strata.Core;

/// <summary>Shared binary encodings of hashes, chunk lists and name/value lists (tree nodes, upload parts).</summary>
public static class BinaryCodec
{
    public static void WriteChunks(BinaryWriter w, IReadOnlyList<ChunkRef> chunks)
    {
        w.Write7BitEncodedInt(chunks.Count);
        foreach (var c in chunks)
        {
            WriteHash(w, c.Id);
            w.Write7BitEncodedInt(c.Length);
        }
    }

    public static ChunkRef[] ReadChunks(BinaryReader r)
    {
        var chunks = new ChunkRef[r.Read7BitEncodedInt()];
        for (var i = 0; i < chunks.Length; i++)
            chunks[i] = new ChunkRef(ReadHash(r), r.Read7BitEncodedInt());
        return chunks;
    }

    public static void WritePairs(BinaryWriter w, IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        w.Write7BitEncodedInt(pairs.Count);
        foreach (var (k, v) in pairs)
        {
            w.Write(k);
            w.Write(v);
        }
    }

    public static KeyValuePair<string, string>[] ReadPairs(BinaryReader r)
    {
        var a = new KeyValuePair<string, string>[r.Read7BitEncodedInt()];
        for (var i = 0; i < a.Length; i++) a[i] = new(r.ReadString(), r.ReadString());
        return a;
    }

    public static void WriteHash(BinaryWriter w, Hash h)
    {
        Span<byte> b = stackalloc byte[Hash.Size];
        h.WriteTo(b);
        w.Write(b);
    }

    public static Hash ReadHash(BinaryReader r)
    {
        Span<byte> b = stackalloc byte[Hash.Size];
        r.BaseStream.ReadExactly(b);
        return Hash.FromBytes(b);
    }

    public static byte[] Encode(Action<BinaryWriter> write)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) write(w);
        return ms.ToArray();
    }

    public static T Decode<T>(byte[] data, Func<BinaryReader, T> read)
    {
        using var r = new BinaryReader(new MemoryStream(data, writable: false), Encoding.UTF8);
        return read(r);
    }
}
