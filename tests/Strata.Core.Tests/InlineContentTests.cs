using Strata.Core.Chunking;
using Strata.Core.Tree;
using Strata.Storage.Sqlite;

namespace Strata.Core.Tests;

/// <summary>Small content kept with its commit in the metadata store: stored, read, copied, collected and checked.</summary>
public sealed class InlineContentTests
{
    private static readonly CancellationToken Ct = MaintenanceFixture.Ct;

    private static async Task<CommitInfo> PutInlineAsync(MaintenanceFixture f, BucketRef b, string key, byte[] data)
    {
        var started = DateTimeOffset.UtcNow;
        var c = await f.Store.Content.WriteAsync(new MemoryStream(data), Ct, inline: true);
        return (await f.Store.CommitAsync(b, ctx => Task.FromResult<IEnumerable<Mutation>>(
            [new Mutation(key, MaintenanceFixture.Entry(c, ctx.Id, ctx.TimeUnixMs)) { Inline = c.Inline }]), $"put {key}", c.ReliesOnSince(started), Ct))!;
    }

    [Fact]
    public async Task SmallContentIsStoredWithTheCommitAndNotInTheChunkStore()
    {
        using var f = new MaintenanceFixture(TimeSpan.Zero);
        var b = new BucketRef("r", "master", null);
        await f.Store.CreateBranchAsync("r", "master", Ct);
        var small = MaintenanceFixture.Random(ContentWriter.InlineLimit, 1);
        var commit = await PutInlineAsync(f, b, "small", small);
        Assert.Equal(0, f.ChunkBytes());
        var entry = (await f.Store.GetFileAsync(commit, "small", Ct))!;
        var only = Assert.Single(entry.Chunks);
        Assert.Equal(small, await f.Meta.GetNodeAsync(only.Id, Ct));
        Assert.Equal(small, await f.ReadAsync(commit, "small"));
        // A range, as GET with Range reads it.
        var part = new MemoryStream();
        await ContentReader.CopyToAsync(f.Store.Chunks, entry, 100, 50, part, Ct);
        Assert.Equal(small.AsSpan(100, 50).ToArray(), part.ToArray());

        // One byte more goes to the chunk store, as before.
        var larger = MaintenanceFixture.Random(ContentWriter.InlineLimit + 1, 2);
        var c2 = await PutInlineAsync(f, b, "larger", larger);
        Assert.Equal(larger.Length, f.ChunkBytes());
        Assert.Equal(larger, await f.ReadAsync(c2, "larger"));

        // Another process on the same database reads it.
        var other = new VersionedStore(new SqliteMetadataStore(f.DbPath), f.Chunks);
        var e2 = (await other.GetFileAsync(commit, "small", Ct))!;
        var back = new MemoryStream();
        await ContentReader.CopyToAsync(other.Chunks, e2, 0, e2.Size, back, Ct);
        Assert.Equal(small, back.ToArray());
        var fsck = await f.Fsck().RunAsync(Ct);
        Assert.True(fsck.Clean, string.Join("; ", fsck.Problems.Select(p => p.Detail)));
    }

    [Fact]
    public async Task CollectionKeepsSmallContentWhileAFileReferencesItAndFreesItAfter()
    {
        using var f = new MaintenanceFixture(TimeSpan.Zero);
        var b = new BucketRef("r", "master", null);
        await f.Store.CreateBranchAsync("r", "master", Ct);
        var data = MaintenanceFixture.Random(3000, 3);
        var first = await PutInlineAsync(f, b, "a", data);
        var id = Assert.Single((await f.Store.GetFileAsync(first, "a", Ct))!.Chunks).Id;
        // A copy references the same small chunk without storing it again; then the original goes.
        var copy = await f.Store.CommitAsync(b, async ctx => [new Mutation("b", (await ctx.GetAsync("a"))! with { CommitId = ctx.Id })], "copy", Ct);
        await f.Store.CommitAsync(b, (_, _) => [new Mutation("a", null)], "delete a", Ct);
        await f.Gc(TimeSpan.Zero).RunAsync(Ct);
        Assert.NotNull(await f.Meta.GetNodeAsync(id, Ct)); // history and the copy still reference it
        Assert.Equal(data, await f.ReadAsync(copy!, "b"));

        // Once no root reaches it, it is swept like any garbage.
        await f.Store.DeleteBranchAsync("r", "master", Ct);
        // A root dropped in the millisecond the collection starts is still within a zero grace period.
        await Task.Delay(50);
        var r = await f.Gc(TimeSpan.Zero).RunAsync(Ct);
        Assert.Null(await f.Meta.GetNodeAsync(id, Ct));
        Assert.True(r.NodesDeleted > 0);
        var fsck = await f.Fsck().RunAsync(Ct);
        Assert.True(fsck.Clean, string.Join("; ", fsck.Problems.Select(p => p.Detail)));
    }

    [Fact]
    public async Task FsckReportsMissingSmallContent()
    {
        using var f = new MaintenanceFixture(TimeSpan.Zero);
        var b = new BucketRef("r", "master", null);
        await f.Store.CreateBranchAsync("r", "master", Ct);
        var commit = await PutInlineAsync(f, b, "a", [1, 2, 3, 4]);
        var id = Assert.Single((await f.Store.GetFileAsync(commit, "a", Ct))!.Chunks).Id;
        Assert.Equal(1, await f.Meta.DeleteNodesAsync([id], long.MaxValue, Ct));
        var r = await f.Fsck().RunAsync(Ct);
        var p = Assert.Single(r.Problems);
        Assert.Equal("missing-chunk", p.Kind);
        await Assert.ThrowsAsync<StrataException>(() => f.ReadAsync(commit, "a"));
    }
}
