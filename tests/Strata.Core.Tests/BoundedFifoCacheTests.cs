using Strata.Core;

namespace Strata.Core.Tests;

public class BoundedFifoCacheTests
{
    private static BoundedFifoCache<int, byte[]> Cache(long capacity) => new(capacity, v => v.Length);

    [Fact]
    public void EvictsTheOldestEntriesFirstToStayWithinTheCapacityInBytes()
    {
        var cache = Cache(100);
        for (var k = 0; k < 4; k++) cache.Add(k, new byte[30]);
        // 120 bytes: the first entry went.
        Assert.False(cache.TryGet(0, out _));
        Assert.Equal([1, 2, 3], Enumerable.Range(0, 4).Where(k => cache.TryGet(k, out _)));
        Assert.Equal(90, cache.Cost);
        // A hit does not make an entry younger (FIFO, not LRU).
        Assert.True(cache.TryGet(1, out var one));
        Assert.Equal(30, one.Length);
        cache.Add(4, new byte[40]);
        Assert.Equal([2, 3, 4], Enumerable.Range(0, 5).Where(k => cache.TryGet(k, out _)));
        Assert.Equal(100, cache.Cost); // exactly the capacity is within it
        cache.Add(5, new byte[1]);
        Assert.Equal([3, 4, 5], Enumerable.Range(0, 6).Where(k => cache.TryGet(k, out _)));
    }

    [Fact]
    public void AKeyHeldAlreadyKeepsItsValueAndPlace()
    {
        var cache = Cache(100);
        var first = new byte[10];
        cache.Add(1, first);
        cache.Add(1, new byte[20]);
        Assert.True(cache.TryGet(1, out var got));
        Assert.Same(first, got);
        Assert.Equal(10, cache.Cost);
    }

    [Fact]
    public void AnEntryBiggerThanTheCapacityIsNotKept()
    {
        var cache = Cache(100);
        cache.Add(1, new byte[60]);
        cache.Add(2, new byte[101]);
        // It pushed out everything older, then itself.
        Assert.False(cache.TryGet(2, out _));
        Assert.False(cache.TryGet(1, out _));
        Assert.Equal(0, cache.Cost);
        Assert.Equal(0, cache.Count);
        cache.Add(3, new byte[100]);
        Assert.True(cache.TryGet(3, out _));
    }

    [Fact]
    public void ConcurrentUseKeepsTheCountOfBytesTrue()
    {
        var cache = Cache(1000);
        Parallel.For(0, 8, t =>
        {
            var rnd = new Random(t);
            for (var i = 0; i < 20_000; i++)
            {
                var k = rnd.Next(500);
                if (cache.TryGet(k, out var v)) Assert.Equal(10 + k % 7, v.Length);
                else cache.Add(k, new byte[10 + k % 7]);
            }
        });
        // Once all have returned, the cost is that of the entries held, within the capacity.
        var held = Enumerable.Range(0, 500).Sum(k => cache.TryGet(k, out var v) ? v.Length : 0);
        Assert.Equal(held, cache.Cost);
        Assert.True(cache.Cost <= 1000, $"{cache.Cost} bytes held");
        Assert.True(cache.Count > 0);
    }
}
