using System.Buffers.Binary;

namespace Strata.Core.Maintenance;

/// <summary>
/// A set of chunk references too large for memory: (hash, length) pairs are deduplicated in a
/// bounded in-memory batch, each full batch is sorted and written to a run file, and
/// <see cref="ReadSortedAsync"/> merges the runs into one ascending, duplicate-free stream. Memory is
/// the batch (about 50 bytes per entry) plus one read buffer per run, whatever the total.
/// </summary>
public sealed class HashSpill : IDisposable
{
    private const int RecordSize = Hash.Size + 4;
    private readonly string _dir;
    private readonly int _batchLimit;
    private readonly Dictionary<Hash, int> _batch = [];
    private readonly List<string> _runs = [];

    public HashSpill(string tempDirectory, int batchLimit = 1 << 19)
    {
        _dir = Path.Combine(tempDirectory, "spill-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        _batchLimit = batchLimit;
    }

    /// <summary>References added, counting duplicates a batch absorbed.</summary>
    public long Added { get; private set; }

    public void Add(Hash id, int length)
    {
        Added++;
        _batch.TryAdd(id, length);
        if (_batch.Count >= _batchLimit) Flush();
    }

    private void Flush()
    {
        if (_batch.Count == 0) return;
        var sorted = _batch.ToArray();
        Array.Sort(sorted, (a, b) => HashOrder.Compare(a.Key, b.Key));
        var path = Path.Combine(_dir, $"run{_runs.Count:D5}");
        using (var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            Span<byte> rec = stackalloc byte[RecordSize];
            foreach (var (id, len) in sorted)
            {
                id.WriteTo(rec);
                BinaryPrimitives.WriteInt32BigEndian(rec[Hash.Size..], len);
                f.Write(rec);
            }
        }
        _runs.Add(path);
        _batch.Clear();
    }

    /// <summary>Every distinct hash added, ascending, with its length. Call after the last Add (it may be read again).</summary>
    public async IAsyncEnumerable<(Hash Id, int Length)> ReadSortedAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        Flush();
        var readers = _runs.Select(p => new RunReader(p)).ToList();
        try
        {
            var heap = new PriorityQueue<RunReader, Hash>(Comparer<Hash>.Create(HashOrder.Compare));
            foreach (var r in readers)
                if (r.MoveNext()) heap.Enqueue(r, r.Current.Id);
            Hash? last = null;
            var n = 0;
            while (heap.TryDequeue(out var r, out _))
            {
                var cur = r.Current;
                if (last != cur.Id) yield return cur;
                last = cur.Id;
                if (r.MoveNext()) heap.Enqueue(r, r.Current.Id);
                if (++n % 65536 == 0)
                {
                    ct.ThrowIfCancellationRequested();
                    await Task.Yield();
                }
            }
        }
        finally
        {
            foreach (var r in readers) r.Dispose();
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    private sealed class RunReader(string path) : IDisposable
    {
        private readonly FileStream _f = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        private readonly byte[] _rec = new byte[RecordSize];
        public (Hash Id, int Length) Current { get; private set; }

        public bool MoveNext()
        {
            if (_f.ReadAtLeast(_rec, RecordSize, throwOnEndOfStream: false) < RecordSize) return false;
            Current = (Hash.FromBytes(_rec), BinaryPrimitives.ReadInt32BigEndian(_rec.AsSpan(Hash.Size)));
            return true;
        }

        public void Dispose() => _f.Dispose();
    }
}

/// <summary>Hashes in the order of their bytes (and of their lowercase hex names).</summary>
public static class HashOrder
{
    public static int Compare(Hash a, Hash b)
    {
        var c = a.Hi.CompareTo(b.Hi);
        return c != 0 ? c : a.Lo.CompareTo(b.Lo);
    }
}
