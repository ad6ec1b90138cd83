using System.Diagnostics;
using System.Security.Cryptography;
using Strata.Bench;
using Strata.Core;
using Strata.Core.Tree;
using Strata.S3.Operations;

// Builds large branches in an embedded data dir (metadata.db + chunks/, the layout of
// `strata serve --data-dir DIR`) through the store API, not HTTP, for the scale figures in
// docs/performance.md; then times list pages in-process.
//   dotnet run -c Release --project bench/Strata.Scale -- files DIR REPO FILES [PER_COMMIT]
//       one branch (master) with FILES files d0000/f0000000 .. (1,000 per directory), PER_COMMIT (10,000) per commit
//   dotnet run -c Release --project bench/Strata.Scale -- history DIR REPO COMMITS [KEYS]
//       one branch (master) with COMMITS commits, each rewriting one small file of KEYS (1,000), round robin
//   dotnet run -c Release --project bench/Strata.Scale -- list DIR REPO [RUNS]
//       in-process ListObjectsV2 page times (first page, middle page) on master, median of RUNS (20) warm runs
//   dotnet run -c Release --project bench/Strata.Scale -- put DIR REPO [COUNT]
//       in-process store side of COUNT (500) PUTs: one new file per commit at random keys of master, p50
//   dotnet run -c Release --project bench/Strata.Scale -- versions DIR REPO [KEY_MARKER] [RUNS]
//       in-process store side of a ListObjectVersions page (index query, ancestry checks), median of RUNS (20)
if (args.Length < 3) return Usage();
var bench = new BenchStore(args[1]);
var (store, meta) = (bench.Store, bench.Meta);
var repo = args[2];
var ct = CancellationToken.None;
var bucket = new BucketRef(repo, "master", null);
switch (args[0])
{
    case "files":
    {
        var files = int.Parse(args[3]);
        var per = args.Length > 4 ? int.Parse(args[4]) : 10_000;
        await store.CreateBranchAsync(repo, "master", ct);
        var content = await ContentAsync();
        for (var start = 0; start < files; start += per)
        {
            var n = Math.Min(per, files - start);
            var s = start;
            await store.CommitAsync(bucket, (id, ms) => Enumerable.Range(s, n).Select(i => new Mutation(FileKey(i), Entry(content, id, ms))), "scale files", ct);
            if ((start / per) % 10 == 9) Console.WriteLine($"  {start + n} files, {bench.Seconds}");
        }
        Console.WriteLine($"{repo}: {files} files in {(files + per - 1) / per} commits, {bench.Seconds}");
        break;
    }
    case "history":
    {
        var commits = int.Parse(args[3]);
        var keys = args.Length > 4 ? int.Parse(args[4]) : 1000;
        await store.CreateBranchAsync(repo, "master", ct);
        var content = await ContentAsync();
        // Many writers, each rewriting one file: round robin over the keys.
        await bench.CommitManyAsync(commits, c =>
        {
            var key = $"f{c % keys:D4}";
            return () => store.CommitAsync(bucket, (id, ms) => [new Mutation(key, Entry(content, id, ms))], "scale history", ct);
        }, ct);
        var head = await store.OpenAsync(bucket, ct);
        Console.WriteLine($"{repo}: {commits} commits (head height {head.Commit?.Height}) over {keys} keys, {bench.Seconds}");
        break;
    }
    case "list":
    {
        var runs = args.Length > 3 ? int.Parse(args[3]) : 20;
        var snap = await store.OpenAsync(bucket, ct);
        var (count, _) = await TreeReader.TotalsAsync(store.Nodes, snap.Commit?.Root, ct);
        var mid = count / 2;
        foreach (var (name, after) in new[] { ("first page", ""), ("middle page", FileKey((int)mid)) })
        {
            var cold = Stopwatch.StartNew();
            var page = await ListObjects.ListPageAsync(store, snap.Commit, "", "", after, 1000, ct);
            var coldMs = cold.Elapsed.TotalMilliseconds;
            var times = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var t = Stopwatch.StartNew();
                page = await ListObjects.ListPageAsync(store, snap.Commit, "", "", after, 1000, ct);
                times.Add(t.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"{repo} ({count} files) {name}: {page.Contents.Count} keys, cold {coldMs:0.00} ms, warm median {times[times.Count / 2]:0.00} ms");
        }
        break;
    }
    case "put":
    {
        // The store side of a PUT: one new 4 KiB file per commit (durable, as the gateway makes it) at
        // a random place among the branch's keys, one writer; the chunk write is not included.
        var count = args.Length > 3 ? int.Parse(args[3]) : 500;
        var content = await ContentAsync();
        var snap = await store.OpenAsync(bucket, ct);
        var (files, _) = await TreeReader.TotalsAsync(store.Nodes, snap.Commit?.Root, ct);
        var rng = new Random(7);
        var times = new List<double>();
        for (var i = -20; i < count; i++)
        {
            var key = FileKey(rng.Next((int)files)) + $".put{i + 20:D5}-{Environment.ProcessId}";
            var t = Stopwatch.StartNew();
            await store.CommitAsync(bucket, (id, ms) => [new Mutation(key, Entry(content, id, ms))], "scale put", ct);
            if (i >= 0) times.Add(t.Elapsed.TotalMilliseconds);
        }
        // The tree part alone: the same kind of change applied to the head's tree, not stored.
        var head = (await store.OpenAsync(bucket, ct)).Commit;
        var (tree, written) = (new List<double>(), 0L);
        for (var i = 0; i < count; i++)
        {
            var key = FileKey(rng.Next((int)files)) + ".tree";
            var t = Stopwatch.StartNew();
            var w = new TreeWriter(store.Nodes);
            await w.ApplyAsync(head?.Root, [new Mutation(key, Entry(content, "x", 0))], ct);
            tree.Add(t.Elapsed.TotalMilliseconds);
            written += w.NewNodes.Values.Sum(v => v.Length);
        }
        tree.Sort();
        Console.WriteLine($"{repo}: tree change alone p50 {tree[count / 2]:0.00} ms, {written / count} node bytes written per change");
        times.Sort();
        Console.WriteLine($"{repo} ({files} files): {count} commits of one new file at random keys, p50 {times[count / 2]:0.00} ms, p90 {times[count * 9 / 10]:0.00} ms");
        break;
    }
    case "versions":
    {
        // The store side of a 1,000-entry ListObjectVersions page (the handler's index query and its
        // ancestry checks of each row's commit, as its BranchFilter makes them), from KEY_MARKER: median of RUNS warm runs.
        var marker = args.Length > 3 ? args[3] : "";
        var runs = args.Length > 4 ? int.Parse(args[4]) : 20;
        var head = (await store.OpenAsync(bucket, ct)).Commit!;
        var (query, walks) = (new List<double>(), new List<double>());
        var rows = 0;
        for (var run = -3; run < runs; run++)
        {
            var t = Stopwatch.StartNew();
            var batch = await meta.ListVersionsAsync(repo, "", marker, long.MinValue, 1000, ct);
            var q = t.Elapsed.TotalMilliseconds;
            t.Restart();
            var ancestors = new CommitGraph.Ancestors(store.Commits, head);
            rows = 0;
            foreach (var row in batch)
                if ((await ancestors.AtAsync(row.Height, ct))?.Id == row.CommitId) rows++;
            if (run < 0) continue;
            query.Add(q);
            walks.Add(t.Elapsed.TotalMilliseconds);
        }
        query.Sort();
        walks.Sort();
        Console.WriteLine($"{repo} (head height {head.Height}) versions from '{marker}': {rows} rows on the branch; " +
            $"index query median {query[runs / 2]:0.00} ms, ancestry checks median {walks[runs / 2]:0.00} ms");
        break;
    }
    default:
        return Usage();
}
return 0;

static int Usage()
{
    Console.Error.WriteLine("usage: Strata.Scale files DIR REPO FILES [PER_COMMIT] | history DIR REPO COMMITS [KEYS] | list DIR REPO [RUNS] | put DIR REPO [COUNT] | versions DIR REPO [KEY_MARKER] [RUNS]");
    return 2;
}

static string FileKey(int i) => $"d{i / 1000:D4}/f{i:D7}";

static FileEntry Entry((ChunkRef Chunk, string ETag) content, string commitId, long ms) => new()
{
    Size = content.Chunk.Length, ETag = content.ETag, ContentHash = content.Chunk.Id, CommitId = commitId, ModifiedUnixMs = ms,
    Chunks = [content.Chunk], Headers = [new("content-type", "application/octet-stream")],
};

// Every generated file has the same 4 KiB content, stored once (content addressing dedupes it).
async Task<(ChunkRef, string)> ContentAsync()
{
    var data = new byte[4096];
    new Random(1).NextBytes(data);
    var id = Hash.Of(data);
    await bench.Chunks.PutAsync(id, data, ct);
    return (new ChunkRef(id, data.Length), "\"" + Convert.ToHexStringLower(MD5.HashData(data)) + "\"");
}
