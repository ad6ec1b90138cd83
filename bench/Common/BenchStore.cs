using System.Diagnostics;
using Strata.Core;
using Strata.Storage.FileSystem;
using Strata.Storage.Sqlite;

namespace Strata.Bench;

/// <summary>
/// An embedded data dir (metadata.db and chunks/, the layout of `strata serve --data-dir DIR`) opened
/// through the store API, with what the tools that build large stores in one share
/// (compiled into each of them: bench/Strata.GcBench, bench/Strata.Scale).
/// </summary>
internal sealed class BenchStore
{
    public BenchStore(string dir)
    {
        Dir = Path.GetFullPath(dir);
        Directory.CreateDirectory(Dir);
        Meta = new SqliteMetadataStore(Path.Combine(Dir, "metadata.db"));
        ChunkRoot = Path.Combine(Dir, "chunks");
        Chunks = new FileChunkStore(ChunkRoot);
        Store = new VersionedStore(Meta, Chunks);
    }

    public string Dir { get; }
    public string ChunkRoot { get; }
    public SqliteMetadataStore Meta { get; }
    public FileChunkStore Chunks { get; }
    public VersionedStore Store { get; }

    /// <summary>Running since the store was opened: the tools time their steps from there.</summary>
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public string Seconds => $"{Clock.Elapsed.TotalSeconds:0.0} s";

    /// <summary>
    /// Makes <paramref name="count"/> commits up to 64 at a time, as many writers would (the store folds
    /// them into group commits, but each is still its own commit). <paramref name="prepare"/> runs in
    /// order on the caller, so it may use a shared Random, and returns the commit to make.
    /// </summary>
    public async Task CommitManyAsync(int count, Func<int, Func<Task>> prepare, CancellationToken ct)
    {
        var gate = new SemaphoreSlim(64);
        var pending = new List<Task>();
        var made = 0;
        for (var c = 0; c < count; c++)
        {
            var commit = prepare(c);
            await gate.WaitAsync(ct);
            pending.Add(Task.Run(async () =>
            {
                try
                {
                    await commit();
                    if (Interlocked.Increment(ref made) % 10_000 == 0) Console.WriteLine($"  {made} commits, {Seconds}");
                }
                finally
                {
                    gate.Release();
                }
            }, ct));
            // Bounded bookkeeping: millions of finished tasks need not be kept.
            if (pending.Count > 1000)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }
        await Task.WhenAll(pending);
    }

    /// <summary>This process's peak resident memory (VmHWM) in MiB; -1 where /proc does not say.</summary>
    public static long PeakRssMiB()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }
}
