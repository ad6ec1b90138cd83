using Microsoft.Data.Sqlite;
using Strata.Core.Maintenance;

namespace Strata.Core.Tests;

/// <summary>fsck finds each kind of damage and names the objects and versions it affects.</summary>
public sealed class FsckTests
{
    private static readonly CancellationToken Ct = MaintenanceFixture.Ct;

    private static async Task<(MaintenanceFixture F, CommitInfo First, CommitInfo Second)> TwoFilesAsync()
    {
        var f = new MaintenanceFixture(TimeSpan.FromMinutes(30));
        var b = new BucketRef("r", "master", null);
        await f.Store.CreateBranchAsync("r", "master", Ct);
        var first = await f.PutAsync(b, "a.bin", MaintenanceFixture.Random(600_000, 1));
        var second = await f.PutAsync(b, "b.bin", MaintenanceFixture.Random(400_000, 2));
        var clean = await f.Fsck().RunAsync(Ct);
        Assert.True(clean.Clean, string.Join("; ", clean.Problems.Select(p => p.Detail)));
        Assert.Equal(2, clean.Commits);
        return (f, first, second);
    }

    private static string ChunkPath(MaintenanceFixture f, Hash id) =>
        Directory.EnumerateFiles(f.ChunkDir, id.ToString(), SearchOption.AllDirectories).Single();

    private static void Sql(MaintenanceFixture f, string sql, params (string, object)[] ps)
    {
        using var c = new SqliteConnection($"Data Source={f.DbPath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in ps) cmd.Parameters.AddWithValue(n, v);
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public async Task TruncatedChunkIsFoundEvenByAQuickCheck()
    {
        var (f, first, _) = await TwoFilesAsync();
        using var _f = f;
        var chunk = (await f.Store.GetFileAsync(first, "a.bin", Ct))!.Chunks[0].Id;
        using (var fs = File.Open(ChunkPath(f, chunk), FileMode.Open)) fs.SetLength(fs.Length / 2);
        var r = await f.Fsck(quick: true).RunAsync(Ct);
        var p = Assert.Single(r.Problems);
        Assert.Equal("bad-chunk", p.Kind);
        Assert.Contains(chunk.ToString(), p.Subject);
        Assert.Contains($"repo r key 'a.bin' version {first.Id}", p.Affects);
    }

    [Fact]
    public async Task FlippedByteIsFoundByAFullCheckOnly()
    {
        var (f, _, second) = await TwoFilesAsync();
        using var _f = f;
        var chunk = (await f.Store.GetFileAsync(second, "b.bin", Ct))!.Chunks[0].Id;
        var path = ChunkPath(f, chunk);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[1234] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes);
        Assert.True((await f.Fsck(quick: true).RunAsync(Ct)).Clean); // same length: a quick check cannot see it
        var r = await f.Fsck().RunAsync(Ct);
        var p = Assert.Single(r.Problems);
        Assert.Equal("bad-chunk", p.Kind);
        Assert.Contains("do not hash", p.Detail);
        Assert.Contains($"repo r key 'b.bin' version {second.Id}", p.Affects);
    }

    [Fact]
    public async Task MissingNodeIsFoundWithTheCommitThatNeedsIt()
    {
        var (f, _, second) = await TwoFilesAsync();
        using var _f = f;
        Sql(f, "DELETE FROM nodes WHERE id=$id", ("$id", second.Root!.Value.ToBytes()));
        var r = await f.Fsck().RunAsync(Ct);
        Assert.False(r.Clean);
        var p = Assert.Single(r.Problems, p => p.Kind == "missing-node");
        Assert.Contains(second.Root!.Value.ToString(), p.Subject);
        Assert.Contains(p.Affects, a => a.Contains(second.Id) && a.Contains("repo r"));
        // The collector will not sweep on a mark that could not reach everything.
        var e = await Assert.ThrowsAsync<StrataException>(() => f.Gc(TimeSpan.Zero).RunAsync(Ct));
        Assert.Equal(StoreError.Corrupt, e.Error);
    }

    [Fact]
    public async Task DanglingBranchHeadIsFound()
    {
        var (f, _, _) = await TwoFilesAsync();
        using var _f = f;
        var ghost = CommitId.New();
        await f.Store.CreateBranchAsync("r", "dev", Ct);
        Sql(f, "UPDATE branches SET head=$h WHERE repo='r' AND name='dev'", ("$h", ghost));
        var r = await f.Fsck().RunAsync(Ct);
        var p = Assert.Single(r.Problems);
        Assert.Equal("dangling-head", p.Kind);
        Assert.Contains("branch dev of repo r", p.Subject);
        Assert.Contains(ghost, p.Detail);
        Assert.Contains("bucket dev.r", p.Affects);
    }

    [Fact]
    public async Task RepairRebuildsVersionRowsFromTheTrees()
    {
        var (f, first, _) = await TwoFilesAsync();
        using var _f = f;
        Sql(f, "DELETE FROM versions WHERE commit_id=$c", ("$c", first.Id));
        var r = await f.Fsck().RunAsync(Ct);
        var p = Assert.Single(r.Problems);
        Assert.Equal("version-index", p.Kind);
        Assert.Contains($"key 'a.bin' version {first.Id}", p.Affects);
        var repaired = await f.Fsck(repair: true).RunAsync(Ct);
        Assert.Single(repaired.Repaired);
        Assert.True((await f.Fsck().RunAsync(Ct)).Clean);
        Assert.NotNull(await f.Meta.GetVersionAsync("r", "a.bin", first.Id, Ct));
    }
}
