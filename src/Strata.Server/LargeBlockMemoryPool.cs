using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Strata.Server;

/// <summary>
/// Kestrel's buffers in 64 KiB blocks instead of its default 4 KiB. A socket read fills at most the
/// block it is given, so with 4 KiB blocks a 1 GiB PUT costs half a million receive calls (about
/// 2 KiB each, measured) and a 1 GiB GET as many sends: on two cores that, not hashing, bounded the
/// rate of one stream. Idle connections hold no block (Kestrel waits for data before it rents one).
/// </summary>
public sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}

/// <summary>Pinned 64 KiB blocks, kept for reuse up to a bound; larger requests get pooled arrays.</summary>
public sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 << 10;
    private const int MaxKept = 2048; // 128 MiB of idle blocks at most
    private readonly ConcurrentQueue<byte[]> _free = new();
    private int _kept;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize) return new Large(ArrayPool<byte>.Shared.Rent(minBufferSize));
        if (_free.TryDequeue(out var block)) Interlocked.Decrement(ref _kept);
        else block = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
        return new Block(this, block);
    }

    private void Return(byte[] block)
    {
        if (Interlocked.Increment(ref _kept) <= MaxKept) _free.Enqueue(block);
        else Interlocked.Decrement(ref _kept);
    }

    protected override void Dispose(bool disposing) => _free.Clear();

    private sealed class Block(LargeBlockMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;
        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } a) pool.Return(a);
        }
    }

    private sealed class Large(byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;
        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Large));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } a) ArrayPool<byte>.Shared.Return(a);
        }
    }
}
