using Strata.Bench;
using Strata.Core;
using Strata.Core.Maintenance;
using Strata.Core.Tree;

// Builds a large embedded store through the store API (not HTTP), then times gc and fsck on it
// and reports peak RSS. Each step runs as its own process so that its peak is its own:
//   dotnet run -c Release --project bench/Strata.GcBench -- generate DIR [COMMITS] [FILES_PER_COMMIT] [GARBAGE_FILES]
//   dotnet run -c Release --project bench/Strata.GcBench -- gc DIR
//   dotnet run -c Release --project bench/Strata.GcBench -- fsck DIR
if (args.Length < 2) return Usage();
var bench = new BenchStore(args[1]);
var ct = CancellationToken.None;
switch (args[0])
{
    case "generate":
        var commits = args.Length > 2 ? int.Parse(args[2]) : 100_000;
        var perCommit = args.Length > 3 ? int.Parse(args[3]) : 10;
        var garbage = args.Length > 4 ? int.Parse(args[4]) : 100_000;
        await GenerateAsync(commits, perCommit, garbage);
        Console.WriteLine($"generated {commits} commits x {perCommit} files (+{garbage} unreferenced chunks) in {bench.Seconds}");
        break;
    case "gc":
        var r = await new GarbageCollector(bench.Meta, bench.Chunks, Path.Combine(bench.Dir, "gc-tmp")) { Grace = TimeSpan.Zero }.RunAsync(ct);
        Console.WriteLine($"gc: {r.Seconds:0.0} s; reachable {r.CommitsReachable} commits, {r.NodesReachable} nodes, {r.ChunksReferenced} chunks; " +
            $"listed {r.ChunksListed} chunks; freed {r.ChunksDeleted} chunks, {r.NodesDeleted} nodes, {r.CommitsDeleted} commits; peak RSS {BenchStore.PeakRssMiB()} MiB");
        break;
    case "fsck":
        var f = await new Fsck(bench.Meta, bench.Chunks, Path.Combine(bench.Dir, "gc-tmp")) { Quick = args.Contains("--quick") }.RunAsync(ct);
        Console.WriteLine($"fsck{(f.Quick ? " --quick" : "")}: {f.Seconds:0.0} s; {f.Commits} commits, {f.Nodes} nodes, {f.Chunks} chunks, {f.VersionRowsChecked} version rows; " +
            $"{f.ProblemCount} problems; peak RSS {BenchStore.PeakRssMiB()} MiB");
        break;
    default:
        return Usage();
}
return 0;

static int Usage()
{
    Console.Error.WriteLine("usage: Strata.GcBench generate|gc|fsck DIR [COMMITS] [FILES_PER_COMMIT] [GARBAGE_FILES]");
    return 2;
}

async Task GenerateAsync(int commitCount, int perCommit, int garbageFiles)
{
    // Chunk files are written straight into the store's layout without an fsync each: a
    // million fsyncs would take this machine half an hour and prove nothing about gc.
    var rng = new Random(1);
    ChunkRef NewChunk()
    {
        var data = new byte[16 + rng.Next(48)];
        rng.NextBytes(data);
        var id = Hash.Of(data);
        var hex = id.ToString();
        var path = Path.Combine(bench.ChunkRoot, hex[..2], hex[2..4], hex);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, data);
        return new ChunkRef(id, data.Length);
    }
    for (var g = 0; g < garbageFiles; g++) NewChunk();
    // Ten branches over two repos; most commits add new files, every fourth overwrites old ones (history).
    var buckets = Enumerable.Range(0, 10).Select(i => new BucketRef($"repo{i % 2}", $"b{i}", null)).ToArray();
    foreach (var b in buckets) await bench.Store.CreateBranchAsync(b.Repo, b.Branch, ct);
    await bench.CommitManyAsync(commitCount, c =>
    {
        var b = buckets[c % buckets.Length];
        var n = c / buckets.Length;
        var muts = new List<(string Key, ChunkRef Chunk)>();
        for (var k = 0; k < perCommit; k++)
            muts.Add((n % 4 == 3 ? $"dir{k}/file{rng.Next(Math.Max(1, n)) * perCommit + k:D7}" : $"dir{k}/file{n * perCommit + k:D7}", NewChunk()));
        return () => bench.Store.CommitAsync(b, (id, ms) => muts.Select(m => new Mutation(m.Key, new FileEntry
        {
            Size = m.Chunk.Length, ETag = "\"" + m.Chunk.Id.ToString()[..32] + "\"", ContentHash = m.Chunk.Id, CommitId = id,
            ModifiedUnixMs = ms, Chunks = [m.Chunk],
        })), "generated", ct);
    }, ct);
}
