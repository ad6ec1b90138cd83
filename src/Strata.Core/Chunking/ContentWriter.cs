using System.Security.Cryptography;
using Strata.Core.Storage;

namespace Strata.Core.Chunking;

/// <summary>The stored content of one upload: its chunks and digests.</summary>
public sealed record ContentInfo(long Size, byte[] Md5, Hash ContentHash, IReadOnlyList<ChunkRef> Chunks)
{
    /// <summary>The oldest touch time of an existing chunk this content reused as it was (null: none).</summary>
    public DateTimeOffset? OldestReused { get; init; }

    /// <summary>How far back a write that began at <paramref name="started"/> and stores this content relies on stored things (GC's protectedSince).</summary>
    public DateTimeOffset ReliesOnSince(DateTimeOffset started) => OldestReused is { } o && o < started ? o : started;

    /// <summary>
    /// The bytes of content small enough to be kept in the metadata store (at most
    /// <see cref="ContentWriter.InlineLimit"/>): not in the chunk store, so the commit that references
    /// it must store them (<see cref="Tree.Mutation.Inline"/>). Null for content in the chunk store.
    /// </summary>
    public byte[]? Inline { get; init; }
}

/// <summary>Collects the oldest touch time of the chunks a write reused without freshening them.</summary>
public sealed class ReuseTracker
{
    private long _oldest = long.MaxValue;

    public void Reused(DateTimeOffset touched)
    {
        var ms = touched.ToUnixTimeMilliseconds();
        long seen;
        while (ms < (seen = Interlocked.Read(ref _oldest)) && Interlocked.CompareExchange(ref _oldest, ms, seen) != seen) { }
    }

    public DateTimeOffset? Oldest => Interlocked.Read(ref _oldest) is var v && v == long.MaxValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(v);
}

/// <summary>
/// Streams a body into the chunk store: cuts it with FastCDC, stores each distinct chunk once
/// (durably) and computes MD5 on the way (see <see cref="Pipeline"/>). Memory use is bounded
/// per body, whatever its size: the blocks of the chunk being cut, of the chunks being stored,
/// and of the few blocks MD5 has not reached yet.
/// </summary>
public sealed partial class ContentWriter(IChunkStore chunks, IMetadataStore? meta = null, FastCdc? cdc = null)
{
    private readonly FastCdc _cdc = cdc ?? FastCdc.Default;
    internal FastCdc Cdc => _cdc;

    public IChunkStore Chunks => chunks;

    /// <summary>
    /// A reused chunk last touched longer ago than this is touched again, so that everything a
    /// write references was touched at most this long before the write began (the GC's protocol).
    /// </summary>
    public TimeSpan FreshenAge { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The latest GC cutoff this process knows of: a reused chunk touched before it is freshened
    /// too, or the write would be refused again and again while that collection's cutoff stands.
    /// </summary>
    public long KnownCutoffUnixMs { get; set; }

    /// <summary>
    /// Content up to this size may be kept in the metadata store with the commit that writes it
    /// (see <see cref="WriteAsync"/>): one transaction makes a small PUT durable, where a chunk file
    /// costs a file, a directory entry and two fsyncs of its own. Readers look such small chunks up
    /// in the metadata store first (<see cref="Storage.InlineChunkStore"/>).
    /// </summary>
    public const int InlineLimit = 16 << 10;

    /// <summary>
    /// Stores a body and returns its chunks and digests. With <paramref name="inline"/>, a body of at
    /// most <see cref="InlineLimit"/> bytes is not stored: its bytes come back in
    /// <see cref="ContentInfo.Inline"/> for the caller's commit to store.
    /// </summary>
    public async Task<ContentInfo> WriteAsync(Stream body, CancellationToken ct, bool inline = false)
    {
        var block = Block.Rent();
        var eof = await block.FillAsync(body, ct).ConfigureAwait(false);
        if (inline && eof && block.Length <= InlineLimit && block.Length > 0)
        {
            var bytes = block.Span.ToArray();
            block.Release();
            ChunkRef[] only = [new(Hash.Of(bytes), bytes.Length)];
            return new ContentInfo(bytes.Length, MD5.HashData(bytes), ContentAddress.Of(only), only) { Inline = bytes };
        }
        return await new Pipeline(this, ct).RunAsync(body, block, eof).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores a chunk unless it exists. An existing one touched recently is reused as it is (and
    /// its touch time noted in <paramref name="reuse"/>); an old one is freshened (see <see cref="FreshenAge"/>).
    /// </summary>
    public Task StoreAsync(Hash id, ReadOnlyMemory<byte> chunk, ReuseTracker reuse, CancellationToken ct) => StoreAsync(id, [chunk], reuse, ct);

    /// <summary><see cref="StoreAsync(Hash, ReadOnlyMemory{byte}, ReuseTracker, CancellationToken)"/> for a chunk given as consecutive pieces.</summary>
    public async Task StoreAsync(Hash id, IReadOnlyList<ReadOnlyMemory<byte>> chunk, ReuseTracker reuse, CancellationToken ct)
    {
        if (await chunks.StatAsync(id, ct).ConfigureAwait(false) is { } stat)
        {
            if (stat.Touched > DateTimeOffset.UtcNow - FreshenAge && stat.Touched.ToUnixTimeMilliseconds() >= KnownCutoffUnixMs)
            {
                reuse.Reused(stat.Touched);
                return;
            }
            // The freshening is ordered against a sweep through the metadata store: either the
            // sweep sees it and keeps the chunk, or the chunk is already gone and is put again.
            var touched = meta is null
                ? await chunks.TouchAsync(id, ct).ConfigureAwait(false)
                : await meta.FreshenChunkAsync(id, c => chunks.TouchAsync(id, c), ct).ConfigureAwait(false);
            if (touched) return;
        }
        await chunks.PutAsync(id, chunk, ct).ConfigureAwait(false);
    }

}
