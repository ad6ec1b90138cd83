using System.Numerics;

namespace Strata.Core.Chunking;

/// <summary>
/// FastCDC content-defined chunking (Xia et al. 2016) with normalized chunking: a gear rolling
/// hash picks cut points so that an insertion only changes the chunks around it.
/// </summary>
public sealed class FastCdc
{
    public int MinSize { get; }
    public int AvgSize { get; }
    public int MaxSize { get; }
    private readonly ulong _maskS, _maskL;
    private static readonly ulong[] Gear = BuildGear();

    public static readonly FastCdc Default = new(256 << 10, 1 << 20, 4 << 20);

    public FastCdc(int min, int avg, int max)
    {
        if (!(min > 0 && min <= avg && avg <= max)) throw new ArgumentException("need 0 < min <= avg <= max");
        MinSize = min; AvgSize = avg; MaxSize = max;
        var bits = BitOperations.Log2((uint)avg);
        _maskS = Mask(bits + 2);   // harder to match before the average size
        _maskL = Mask(bits - 2);   // easier after it
    }

    // The top bits of the gear hash depend on the last 64 bytes: match on those.
    private static ulong Mask(int bits) => ~0UL << (64 - bits);

    private static ulong[] BuildGear()
    {
        var g = new ulong[256];
        ulong s = 0x9E3779B97F4A7C15;
        for (var i = 0; i < 256; i++)
        {
            // SplitMix64: fixed seed, so chunk boundaries never change between versions.
            s += 0x9E3779B97F4A7C15;
            var z = s;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            g[i] = z ^ (z >> 31);
        }
        return g;
    }

    /// <summary>
    /// The streaming form of <see cref="Cut"/>, for data that arrives in blocks: scans
    /// <paramref name="data"/> as the continuation of the chunk <paramref name="state"/> describes and
    /// returns how many of its bytes end that chunk (the state is then reset for the next one), or -1
    /// if all of them belong to it and it goes on. At end of input the chunk so far is the last one.
    /// Cuts the same places as <see cref="Cut"/>, so content stored either way deduplicates.
    /// </summary>
    public int Scan(ReadOnlySpan<byte> data, ref CdcState state)
    {
        var pos = state.Length; // bytes of the chunk before data[0]
        var i = 0;
        if (pos < MinSize)
        {
            // The first MinSize bytes of a chunk are never a cut point and are not hashed.
            i = Math.Min(data.Length, MinSize - pos);
            pos += i;
            if (pos == MaxSize) // MinSize == MaxSize: fixed-size chunks, cut without hashing
            {
                state = default;
                return i;
            }
        }
        var h = state.Hash;
        for (; i < data.Length; i++, pos++)
        {
            h = (h << 1) + Gear[data[i]];
            if ((h & (pos < AvgSize ? _maskS : _maskL)) == 0 || pos + 1 == MaxSize)
            {
                state = default;
                return i + 1;
            }
        }
        state = new CdcState(pos, h);
        return -1;
    }

    /// <summary>Length of the first chunk of data. If data is shorter than MaxSize and more may follow, the caller must read more first (unless at end of input).</summary>
    public int Cut(ReadOnlySpan<byte> data)
    {
        var n = data.Length;
        if (n <= MinSize) return n;
        if (n > MaxSize) n = MaxSize;
        var normal = Math.Min(AvgSize, n);
        ulong h = 0;
        var i = MinSize;
        for (; i < normal; i++)
        {
            h = (h << 1) + Gear[data[i]];
            if ((h & _maskS) == 0) return i + 1;
        }
        for (; i < n; i++)
        {
            h = (h << 1) + Gear[data[i]];
            if ((h & _maskL) == 0) return i + 1;
        }
        return n;
    }
}

/// <summary>Where a streaming <see cref="FastCdc.Scan"/> is in the current chunk: its length so far and the gear hash.</summary>
public readonly record struct CdcState(int Length, ulong Hash);
