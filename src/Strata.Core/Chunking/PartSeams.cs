using System.Buffers;
using Strata.Core.Storage;

namespace Strata.Core.Chunking;

/// <summary>The chunk list of a completed multipart upload, and what joining its parts cost.</summary>
public sealed record JoinedContent(IReadOnlyList<ChunkRef> Chunks)
{
    /// <summary>The oldest touch time of an existing chunk a seam reused as it was (null: none).</summary>
    public DateTimeOffset? OldestReused { get; init; }

    /// <summary>Seams re-chunked (runs of the stream between two kept part chunks).</summary>
    public int Seams { get; init; }

    /// <summary>Bytes of part chunks read back.</summary>
    public long BytesRead { get; init; }

    /// <summary>Chunks cut anew at the seams (most are found already stored when the same bytes were stored whole before).</summary>
    public int SeamChunks { get; init; }

    /// <summary>How far back a Complete that began at <paramref name="started"/> relies on stored things (GC's protectedSince).</summary>
    public DateTimeOffset ReliesOnSince(DateTimeOffset started) => OldestReused is { } o && o < started ? o : started;
}

/// <summary>
/// Joins the parts of a multipart upload into the chunk list the whole stream would have had.
/// Each part was chunked on its own, so its last chunk ends at the part's end (a cut the whole
/// stream would not make) and the chunks after it start at the part boundary. Every other chunk
/// of a part ended where FastCDC cut it, and a FastCDC cut depends only on the bytes since the
/// previous cut: so a part chunk that starts on a cut of the whole stream is that stream's next
/// chunk. The seams are re-chunked: from the start of a part's last chunk, the bytes are read
/// back and cut until a cut lands on the start of a chunk that can be kept as it is (usually one
/// or two chunks into the next part). The new chunks are stored through
/// <see cref="ContentWriter.StoreAsync"/> (dedupe, freshening and the GC's reuse accounting as
/// for any write); the parts' chunks no longer referenced are garbage once the upload's parts are
/// dropped. Up to four seams are cut at once; memory: one buffer of MaxSize plus a read block each.
/// </summary>
/// <remarks>
/// Parts made by UploadPartCopy go through the same path; their chunks are the source's, cut
/// where the source's chunking cut them, plus partial edge pieces, so a kept chunk there may
/// not be one the whole stream would cut: the bytes are the same either way, only the dedupe
/// with a whole upload of them is less good around such a part.
/// </remarks>
public static class PartSeams
{
    private const int Block = 256 << 10;

    public static async Task<JoinedContent> JoinAsync(ContentWriter writer, IReadOnlyList<IReadOnlyList<ChunkRef>> parts,
        CancellationToken ct, FastCdc? cdc = null)
    {
        cdc ??= FastCdc.Default;
        long total = 0;
        foreach (var p in parts)
            foreach (var c in p) total += c.Length;
        // The chunks in stream order, where each starts, and which must be cut again: the last chunk
        // of a part, unless it ends the object (the end of the stream is a cut of the whole stream too).
        var flat = new List<ChunkRef>();
        var starts = new List<long>();
        var redo = new List<bool>();
        long pos = 0;
        foreach (var p in parts)
            for (var k = 0; k < p.Count; k++)
            {
                flat.Add(p[k]);
                starts.Add(pos);
                pos += p[k].Length;
                redo.Add(k == p.Count - 1 && pos < total);
            }
        if (!redo.Contains(true)) return new JoinedContent(flat);

        // The seams are cut independently, several at a time. Each starts at a part's last chunk
        // and goes on until a cut lands where a kept chunk starts; a seam that runs past the next
        // part's last chunk covers that seam too, whose own result (cut from a point that turned
        // out not to be a cut of the whole stream) is then not used. A seam stops as soon as the
        // seams before it are known to cover it, so little of such work is done (or stored as garbage).
        var frontier = new Frontier(redo);
        var seamStarts = Enumerable.Range(0, flat.Count).Where(k => redo[k]).ToList();
        var results = new System.Collections.Concurrent.ConcurrentDictionary<int, Seam>();
        var parallel = new ParallelOptions
        {
            CancellationToken = ct,
            MaxDegreeOfParallelism = Math.Clamp(Math.Max(Environment.ProcessorCount, writer.Chunks.WriteConcurrency), 1, Math.Max(1, MaxParallelSeams)),
        };
        await Parallel.ForEachAsync(seamStarts, parallel, async (k, c) =>
        {
            var seam = await CutSeamAsync(writer, cdc, flat, starts, redo, total, k, frontier, c).ConfigureAwait(false);
            results[k] = seam;
            if (!seam.Abandoned) frontier.Cut(k, seam.End);
        }).ConfigureAwait(false);

        var output = new List<ChunkRef>(flat.Count);
        DateTimeOffset? oldest = null;
        int seams = 0, cutAnew = 0;
        for (var i = 0; i < flat.Count;)
        {
            if (!redo[i])
            {
                output.Add(flat[i++]);
                continue;
            }
            var seam = results[i];
            if (seam.Abandoned) throw new InvalidOperationException("a seam in use was abandoned");
            output.AddRange(seam.Chunks);
            if (seam.OldestReused is { } o && (oldest is null || o < oldest)) oldest = o;
            seams++;
            cutAnew += seam.Chunks.Count;
            i = seam.End;
        }
        // What was read counts every seam cut, used or not.
        var read = results.Values.Sum(r => r.BytesRead);
        if (output.Sum(c => (long)c.Length) != total)
            throw new InvalidOperationException("re-chunked seams changed the object's size");
        return new JoinedContent(output) { OldestReused = oldest, Seams = seams, BytesRead = read, SeamChunks = cutAnew };
    }

    /// <summary>At most this many seams are cut at once (each holds a buffer of MaxSize plus a read block); 1 cuts them in order, with no speculation.</summary>
    public static int MaxParallelSeams { get; set; } = 4;

    /// <summary>A seam's new chunks, the index of the kept chunk after them (or the count at the end), and its cost.</summary>
    private sealed record Seam(List<ChunkRef> Chunks, int End, long BytesRead, DateTimeOffset? OldestReused, bool Abandoned = false);

    /// <summary>How far the in-order merge of the seams cut so far reaches: a seam it passed over is not used.</summary>
    private sealed class Frontier(List<bool> redo)
    {
        private readonly Dictionary<int, int> _ends = [];
        private readonly HashSet<int> _used = [];
        private int _at;

        public bool Covered(int seam)
        {
            lock (_ends) return _at > seam && !_used.Contains(seam);
        }

        public void Cut(int seam, int end)
        {
            lock (_ends)
            {
                _ends[seam] = end;
                while (_at < redo.Count)
                {
                    if (!redo[_at]) _at++;
                    else if (_ends.TryGetValue(_at, out var e))
                    {
                        _used.Add(_at);
                        _at = e;
                    }
                    else break;
                }
            }
        }
    }

    /// <summary>Cuts from the start of chunk <paramref name="first"/> until a cut lands where a kept chunk starts, storing each new chunk.</summary>
    private static async Task<Seam> CutSeamAsync(ContentWriter writer, FastCdc cdc, List<ChunkRef> flat, List<long> starts, List<bool> redo,
        long total, int first, Frontier frontier, CancellationToken ct)
    {
        if (frontier.Covered(first)) return new Seam([], first, 0, null, Abandoned: true);
        var reuse = new ReuseTracker();
        var chunks = new List<ChunkRef>();
        var buf = ArrayPool<byte>.Shared.Rent(cdc.MaxSize + Block);
        try
        {
            await using var source = new SourceReader(writer.Chunks, flat, first);
            var cutPos = starts[first];
            // buf holds the chunk being cut from its start; the first `scanned` bytes are behind state.
            var state = default(CdcState);
            int filled = 0, scanned = 0;
            var j = first;
            while (true)
            {
                int cut;
                while (true)
                {
                    var k = scanned < filled ? cdc.Scan(buf.AsSpan(scanned, filled - scanned), ref state) : -1;
                    if (k >= 0)
                    {
                        cut = scanned + k;
                        break;
                    }
                    scanned = filled;
                    if (source.Done)
                    {
                        // The end of the input ends the last chunk.
                        if (filled == 0) throw new StrataException(StoreError.Corrupt, "the parts are shorter than their chunk lists say");
                        cut = filled;
                        break;
                    }
                    // No cut in fewer than MaxSize bytes, so there is room for a block.
                    filled += await source.ReadAsync(buf.AsMemory(filled, Math.Min(Block, buf.Length - filled)), ct).ConfigureAwait(false);
                }
                if (frontier.Covered(first)) return new Seam(chunks, first, source.BytesRead, null, Abandoned: true);
                var chunk = buf.AsMemory(0, cut);
                var id = Hash.Of(chunk.Span);
                await writer.StoreAsync(id, chunk, reuse, ct).ConfigureAwait(false);
                chunks.Add(new ChunkRef(id, cut));
                cutPos += cut;
                Buffer.BlockCopy(buf, cut, buf, 0, filled - cut);
                filled -= cut;
                scanned = 0;
                while (j < flat.Count && starts[j] < cutPos) j++;
                // The end of the object, or a chunk to keep: the rest of the buffer is not needed.
                if (cutPos == total || (j < flat.Count && starts[j] == cutPos && !redo[j]))
                    return new Seam(chunks, cutPos == total ? flat.Count : j, source.BytesRead, reuse.Oldest);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    /// <summary>
    /// Reads the stream of the chunks from one on, one chunk open at a time, and checks each chunk
    /// read to its end against its hash: a damaged part chunk must not be laundered into new
    /// chunks whose hashes match the damage (fsck would no longer see it).
    /// </summary>
    private sealed class SourceReader(IChunkStore store, List<ChunkRef> chunks, int next) : IAsyncDisposable
    {
        private Stream? _open;
        private ChunkRef _chunk;
        private int _left;
        private Blake3.Hasher? _hasher;

        public bool Done { get; private set; }
        public long BytesRead { get; private set; }

        /// <summary>Some bytes (at least one) into <paramref name="into"/>, or 0 at the end of the last chunk.</summary>
        public async ValueTask<int> ReadAsync(Memory<byte> into, CancellationToken ct)
        {
            while (true)
            {
                if (_open is null)
                {
                    if (next >= chunks.Count)
                    {
                        Done = true;
                        return 0;
                    }
                    _chunk = chunks[next++];
                    _open = await store.OpenAsync(_chunk, 0, ct).ConfigureAwait(false);
                    _left = _chunk.Length;
                    _hasher = Blake3.Hasher.New();
                }
                if (_left == 0)
                {
                    var got = Hash.FromBytes(_hasher!.Finalize().AsSpan());
                    await CloseAsync().ConfigureAwait(false);
                    if (got != _chunk.Id) throw new StrataException(StoreError.Corrupt, $"chunk {_chunk.Id} does not hash to its id");
                    continue;
                }
                var n = await _open.ReadAsync(into[..Math.Min(into.Length, _left)], ct).ConfigureAwait(false);
                if (n == 0) throw new StrataException(StoreError.Corrupt, $"chunk {_chunk.Id} is shorter than recorded");
                _hasher!.Update(into.Span[..n]);
                _left -= n;
                BytesRead += n;
                return n;
            }
        }

        private async ValueTask CloseAsync()
        {
            if (_open is null) return;
            await _open.DisposeAsync().ConfigureAwait(false);
            _open = null;
            _hasher?.Dispose();
            _hasher = null;
        }

        public ValueTask DisposeAsync() => CloseAsync();
    }
}
