using System.Collections.Concurrent;

namespace Strata.Core;

/// <summary>
/// A thread-safe cache bounded by the summed cost of its entries (e.g. their bytes), which evicts
/// the oldest entry first. FIFO suits immutable values (any cached entry is still valid) and keeps a
/// hit to one lookup, with no recency to record. An entry costing more than the capacity is
/// evicted as soon as it is added.
/// </summary>
internal sealed class BoundedFifoCache<TKey, TValue>(long capacity, Func<TValue, long> cost) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _entries = new();
    private readonly ConcurrentQueue<TKey> _order = new();
    private long _cost;

    /// <summary>The summed cost of the entries held (it may exceed the capacity while another thread is evicting).</summary>
    public long Cost => Interlocked.Read(ref _cost);

    public int Count => _entries.Count;

    public bool TryGet(TKey key, out TValue value) => _entries.TryGetValue(key, out value!);

    /// <summary>Adds an entry unless its key is held already, then evicts the oldest while over capacity.</summary>
    public void Add(TKey key, TValue value)
    {
        if (!_entries.TryAdd(key, value)) return;
        _order.Enqueue(key);
        Interlocked.Add(ref _cost, cost(value));
        while (Interlocked.Read(ref _cost) > capacity && _order.TryDequeue(out var old))
            if (_entries.TryRemove(old, out var gone)) Interlocked.Add(ref _cost, -cost(gone));
    }
}
