using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;

namespace Strata.Core.Chunking;

public sealed partial class ContentWriter
{
    /// <summary>How much of a body is read at a time: MD5 is fed whole blocks (it is fastest on large buffers).</summary>
    internal const int BlockSize = 1 << 20;

    /// <summary>
    /// A pooled read block shared by the stages that still need its bytes (MD5, the chunk being cut,
    /// a chunk being stored); it goes back to the pool when the last of them releases it.
    /// </summary>
    internal sealed class Block
    {
        private readonly byte[] _array;
        private int _refs = 1;

        private Block(byte[] array) => _array = array;

        public static Block Rent() => new(ArrayPool<byte>.Shared.Rent(BlockSize));

        public int Length { get; private set; }
        public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);
        public ReadOnlyMemory<byte> Slice(int start, int length) => _array.AsMemory(start, length);

        /// <summary>Reads until the block is full or the body ends; true at the end of the body.</summary>
        public async Task<bool> FillAsync(Stream body, CancellationToken ct)
        {
            while (Length < BlockSize)
            {
                var n = await body.ReadAsync(_array.AsMemory(Length, BlockSize - Length), ct).ConfigureAwait(false);
                if (n == 0) return true;
                Length += n;
            }
            return false;
        }

        public void AddRef() => Interlocked.Increment(ref _refs);

        public void Release()
        {
            if (Interlocked.Decrement(ref _refs) == 0) ArrayPool<byte>.Shared.Return(_array);
        }
    }

    /// <summary>
    /// One body on its way in, as a pipeline over shared blocks, so that no byte is copied after it
    /// is read: MD5 (the ETag, one core's worth of work at best) runs on its own task, while this
    /// one cuts chunks, hashes them with BLAKE3 and hands each to the chunk store; the store writes
    /// the chunk's pieces as they lie in the blocks, while the next chunk is cut.
    /// </summary>
    private sealed class Pipeline(ContentWriter writer, CancellationToken ct)
    {
        private readonly Channel<Block> _toMd5 = Channel.CreateBounded<Block>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        private readonly List<(Block Block, int Start, int Length)> _pieces = [];
        private readonly Queue<Task> _storing = new();
        private readonly List<ChunkRef> _list = [];
        private readonly ReuseTracker _reuse = new();
        private Blake3.Hasher _blake = Blake3.Hasher.New();
        private long _size;

        public async Task<ContentInfo> RunAsync(Stream body, Block first, bool eof)
        {
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            var md5Task = Task.Run(() => HashMd5Async(md5), ct);
            Block? block = first;
            try
            {
                var cdc = writer.Cdc;
                var state = default(CdcState);
                var concurrency = Math.Max(1, writer.Chunks.WriteConcurrency);
                while (block is { Length: > 0 })
                {
                    block.AddRef();
                    await _toMd5.Writer.WriteAsync(block, ct).ConfigureAwait(false);
                    for (var pos = 0; pos < block.Length;)
                    {
                        var cut = cdc.Scan(block.Span[pos..], ref state);
                        var take = cut < 0 ? block.Length - pos : cut;
                        _blake.Update(block.Span.Slice(pos, take));
                        block.AddRef();
                        _pieces.Add((block, pos, take));
                        pos += take;
                        if (cut >= 0) await EmitAsync(concurrency).ConfigureAwait(false);
                    }
                    block.Release();
                    block = null;
                    if (eof) break;
                    block = Block.Rent();
                    eof = await block.FillAsync(body, ct).ConfigureAwait(false);
                }
                if (_pieces.Count > 0) await EmitAsync(concurrency).ConfigureAwait(false);
                _toMd5.Writer.Complete();
                await md5Task.ConfigureAwait(false);
                while (_storing.Count > 0) await _storing.Dequeue().ConfigureAwait(false);
                return new ContentInfo(_size, md5.GetHashAndReset(), ContentAddress.Of(_list), _list) { OldestReused = _reuse.Oldest };
            }
            finally
            {
                _blake.Dispose();
                block?.Release();
                _toMd5.Writer.TryComplete();
                // On failure, the other stages end before this returns (their blocks are not reused under them).
                try { await md5Task.ConfigureAwait(false); } catch (Exception) { /* the first failure is already propagating */ }
                if (_storing.Count > 0)
                    try { await Task.WhenAll(_storing).ConfigureAwait(false); } catch (Exception) { /* likewise */ }
                while (_toMd5.Reader.TryRead(out var left)) left.Release();
                foreach (var p in _pieces) p.Block.Release();
            }
        }

        private async Task HashMd5Async(IncrementalHash md5)
        {
            await foreach (var b in _toMd5.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try { md5.AppendData(b.Span); }
                finally { b.Release(); }
            }
        }

        /// <summary>Ends the chunk being cut: records it and starts storing it (waiting first if enough are being stored).</summary>
        private Task EmitAsync(int concurrency)
        {
            Span<byte> digest = stackalloc byte[Hash.Size];
            _blake.Finalize(digest);
            _blake.Reset();
            var id = Hash.FromBytes(digest);
            var pieces = _pieces.ToArray();
            _pieces.Clear();
            var length = 0;
            foreach (var p in pieces) length += p.Length;
            _list.Add(new ChunkRef(id, length));
            _size += length;
            return StartStoreAsync(id, pieces, concurrency);
        }

        private async Task StartStoreAsync(Hash id, (Block Block, int Start, int Length)[] pieces, int concurrency)
        {
            if (_storing.Count >= concurrency) await _storing.Dequeue().ConfigureAwait(false);
            _storing.Enqueue(StoreAsync(id, pieces));
        }

        private async Task StoreAsync(Hash id, (Block Block, int Start, int Length)[] pieces)
        {
            try
            {
                await writer.StoreAsync(id, pieces.Select(p => p.Block.Slice(p.Start, p.Length)).ToArray(), _reuse, ct).ConfigureAwait(false);
            }
            finally
            {
                foreach (var p in pieces) p.Block.Release();
            }
        }
    }
}
