using BenchmarkDotNet.Attributes;
using Strata.Core.Chunking;

namespace Strata.Micro;

/// <summary>FastCDC cut points over 64 MiB of random bytes with the default 256 KiB / 1 MiB / 4 MiB sizes.</summary>
public class FastCdcBenchmarks
{
    private const int Size = 64 << 20;
    private byte[] _data = [];

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(12).NextBytes(_data);
    }

    /// <summary>Cuts the whole buffer into chunks (as ContentWriter does, without the copying); returns the chunk count.</summary>
    [Benchmark, BytesPerOp(Size)]
    public int Cut64MiB()
    {
        var rest = _data.AsSpan();
        var chunks = 0;
        while (rest.Length > 0)
        {
            rest = rest[FastCdc.Default.Cut(rest)..];
            chunks++;
        }
        return chunks;
    }
}
