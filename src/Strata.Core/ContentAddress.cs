namespace Strata.Core;

/// <summary>
/// A file's content address: BLAKE3 over its chunk list (each chunk is itself addressed by
/// BLAKE3). It is computed from the chunk list alone, so a completed multipart upload or a copy
/// gets one without reading its bytes again.
/// </summary>
public static class ContentAddress
{
    public static Hash Of(IReadOnlyList<ChunkRef> chunks)
    {
        using var h = Blake3.Hasher.New();
        Span<byte> b = stackalloc byte[Hash.Size + 4];
        foreach (var c in chunks)
        {
            c.Id.WriteTo(b);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b[Hash.Size..], c.Length);
            h.Update(b);
        }
        var d = h.Finalize();
        return Hash.FromBytes(d.AsSpan());
    }
}
