using System.Buffers;
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
/// (durably) and computes MD5 on the way. Memory use is one pooled buffer of MaxSize plus a
/// read block, and, for a store that takes concurrent writes (a remote object store), one
/// pooled copy per chunk in flight, whatever the body's size.
/// </summary>
public sealed class ContentWriter(IChunkStore chunks, IMetadataStore? meta = null, FastCdc? cdc = null)
{
    private readonly FastCdc _cdc = cdc ?? FastCdc.Default;

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
        var buf = ArrayPool<byte>.Shared.Rent(_cdc.MaxSize + (1 << 16));
        var inFlight = new Queue<Task>();
        var concurrency = Math.Max(1, chunks.WriteConcurrency);
        var reuse = new ReuseTracker();
        try
        {
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            var list = new List<ChunkRef>();
            long size = 0;
            var filled = 0;
            var eof = false;
            while (true)
            {
                while (!eof && filled < _cdc.MaxSize)
                {
                    var n = await body.ReadAsync(buf.AsMemory(filled, buf.Length - filled), ct).ConfigureAwait(false);
                    if (n == 0) eof = true; else filled += n;
                }
                if (filled == 0) break;
                if (inline && eof && list.Count == 0 && filled <= InlineLimit)
                {
                    var bytes = buf.AsSpan(0, filled).ToArray();
                    md5.AppendData(bytes);
                    ChunkRef[] only = [new(Hash.Of(bytes), filled)];
                    return new ContentInfo(filled, md5.GetHashAndReset(), ContentAddress.Of(only), only) { Inline = bytes };
                }
                var cut = _cdc.Cut(buf.AsSpan(0, filled));
                var chunk = buf.AsMemory(0, cut);
                md5.AppendData(chunk.Span);
                var id = Hash.Of(chunk.Span);
                if (concurrency == 1)
                    await StoreAsync(id, chunk, reuse, ct).ConfigureAwait(false);
                else
                {
                    // The read buffer is reused at once, so a chunk in flight gets its own pooled copy.
                    if (inFlight.Count >= concurrency) await inFlight.Dequeue().ConfigureAwait(false);
                    var copy = ArrayPool<byte>.Shared.Rent(cut);
                    chunk.CopyTo(copy);
                    inFlight.Enqueue(StoreCopyAsync(id, copy, cut, reuse, ct));
                }
                list.Add(new ChunkRef(id, cut));
                size += cut;
                Buffer.BlockCopy(buf, cut, buf, 0, filled - cut);
                filled -= cut;
            }
            while (inFlight.Count > 0) await inFlight.Dequeue().ConfigureAwait(false);
            return new ContentInfo(size, md5.GetHashAndReset(), ContentAddress.Of(list), list) { OldestReused = reuse.Oldest };
        }
        finally
        {
            // On failure, let the writes still in flight end before their buffers go back to the pool.
            if (inFlight.Count > 0)
                try { await Task.WhenAll(inFlight).ConfigureAwait(false); } catch (Exception) { /* the first failure is already propagating */ }
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    /// <summary>
    /// Stores a chunk unless it exists. An existing one touched recently is reused as it is (and
    /// its touch time noted in <paramref name="reuse"/>); an old one is freshened (see <see cref="FreshenAge"/>).
    /// </summary>
    public async Task StoreAsync(Hash id, ReadOnlyMemory<byte> chunk, ReuseTracker reuse, CancellationToken ct)
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

    private async Task StoreCopyAsync(Hash id, byte[] copy, int length, ReuseTracker reuse, CancellationToken ct)
    {
        try
        {
            await StoreAsync(id, copy.AsMemory(0, length), reuse, ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }
}
