using System.Text;
using static Strata.Core.BinaryCodec;

namespace Strata.Core.Tree;

/// <summary>Binary encoding of tree nodes (and the file entries in leaves). Version-tagged.</summary>
public static class NodeCodec
{
    private const byte Format = 1;
    private const byte OverlayFormat = 2;

    public static byte[] Encode(Node node)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            if (node.IsOverlay)
            {
                WriteOverlay(w, node);
                return ms.ToArray();
            }
            w.Write(Format);
            w.Write7BitEncodedInt(node.Level);
            w.Write7BitEncodedInt(node.Length);
            if (node.IsLeaf)
            {
                foreach (var (key, e) in node.Entries)
                {
                    w.Write(key);
                    WriteEntry(w, e);
                }
            }
            else
            {
                foreach (var c in node.Children)
                {
                    w.Write(c.MaxKey);
                    WriteHash(w, c.Id);
                    w.Write7BitEncodedInt64(c.Count);
                    w.Write7BitEncodedInt64(c.Bytes);
                }
            }
        }
        return ms.ToArray();
    }

    /// <summary>Whether the bytes are an overlay's (<see cref="Node.IsOverlay"/>), without decoding them.</summary>
    public static bool IsOverlay(byte[] data) => data.Length > 0 && data[0] == OverlayFormat;

    public static Node Decode(byte[] data)
    {
        using var r = new BinaryReader(new MemoryStream(data, writable: false), Encoding.UTF8);
        var format = r.ReadByte();
        if (format == OverlayFormat) return ReadOverlay(r);
        if (format != Format) throw new StrataException(StoreError.Corrupt, "unknown tree node format");
        var level = r.Read7BitEncodedInt();
        var n = r.Read7BitEncodedInt();
        if (level == 0)
        {
            var entries = new KeyValuePair<string, FileEntry>[n];
            for (var i = 0; i < n; i++)
            {
                var key = r.ReadString();
                entries[i] = new(key, ReadEntry(r));
            }
            return new Node(entries);
        }
        var children = new ChildRef[n];
        for (var i = 0; i < n; i++)
            children[i] = new ChildRef(r.ReadString(), ReadHash(r), r.Read7BitEncodedInt64(), r.Read7BitEncodedInt64());
        return new Node(level, children);
    }

    /// <summary>About the bytes <see cref="Encode"/> spends on one leaf entry (for sizing leaves, not exact).</summary>
    public static long EstimateSize(string key, FileEntry e)
    {
        long n = 2 + key.Length + 10 + e.ETag.Length + 32 + 1 + e.CommitId.Length + 8 + 1 + e.Chunks.Count * 36L + 3;
        foreach (var (k, v) in e.Headers) n += 2 + k.Length + v.Length;
        foreach (var (k, v) in e.Checksums) n += 2 + k.Length + v.Length;
        foreach (var p in e.Parts) n += 6 + (p.Checksum?.Length ?? 0) + (p.Md5?.Length ?? 0);
        return n;
    }

    private static void WriteOverlay(BinaryWriter w, Node node)
    {
        w.Write(OverlayFormat);
        w.Write(node.Base is not null);
        if (node.Base is { } b) WriteHash(w, b);
        w.Write7BitEncodedInt64(node.Count);
        w.Write7BitEncodedInt64(node.Bytes);
        w.Write7BitEncodedInt(node.Changes.Length);
        foreach (var (key, e) in node.Changes)
        {
            w.Write(key);
            w.Write(e is not null);
            if (e is not null) WriteEntry(w, e);
        }
    }

    private static Node ReadOverlay(BinaryReader r)
    {
        Hash? b = r.ReadBoolean() ? ReadHash(r) : null;
        var count = r.Read7BitEncodedInt64();
        var bytes = r.Read7BitEncodedInt64();
        var changes = new KeyValuePair<string, FileEntry?>[r.Read7BitEncodedInt()];
        for (var i = 0; i < changes.Length; i++)
        {
            var key = r.ReadString();
            changes[i] = new(key, r.ReadBoolean() ? ReadEntry(r) : null);
        }
        return new Node(b, changes, count, bytes);
    }

    private static void WriteEntry(BinaryWriter w, FileEntry e)
    {
        w.Write7BitEncodedInt64(e.Size);
        w.Write(e.ETag);
        WriteHash(w, e.ContentHash);
        w.Write(e.CommitId);
        w.Write7BitEncodedInt64(e.ModifiedUnixMs);
        WriteChunks(w, e.Chunks);
        WritePairs(w, e.Headers);
        WritePairs(w, e.Checksums);
        w.Write7BitEncodedInt(e.Parts.Count);
        foreach (var p in e.Parts)
        {
            w.Write7BitEncodedInt64(p.Size);
            w.Write(p.Checksum ?? "");
            w.Write(p.Md5 ?? "");
        }
    }

    private static PartRef[] ReadParts(BinaryReader r)
    {
        var a = new PartRef[r.Read7BitEncodedInt()];
        for (var i = 0; i < a.Length; i++)
        {
            var size = r.Read7BitEncodedInt64();
            var sum = r.ReadString();
            var md5 = r.ReadString();
            a[i] = new PartRef(size, sum.Length == 0 ? null : sum, md5.Length == 0 ? null : md5);
        }
        return a;
    }

    private static FileEntry ReadEntry(BinaryReader r)
    {
        var size = r.Read7BitEncodedInt64();
        var etag = r.ReadString();
        var hash = ReadHash(r);
        var commit = r.ReadString();
        var ms = r.Read7BitEncodedInt64();
        var chunks = ReadChunks(r);
        return new FileEntry
        {
            Size = size, ETag = etag, ContentHash = hash, CommitId = commit, ModifiedUnixMs = ms,
            Chunks = chunks, Headers = ReadPairs(r), Checksums = ReadPairs(r), Parts = ReadParts(r),
        };
    }
}
