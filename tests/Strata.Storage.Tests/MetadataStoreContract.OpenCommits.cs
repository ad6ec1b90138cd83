using Strata.Core;

namespace Strata.Storage.Tests;

// Explicit commits: one open per branch, its root moved by CAS, finished by a CAS of the head.
public abstract partial class MetadataStoreContract
{
    private static OpenCommit Open(string? baseId, Hash? root = null) => new(CommitId.New(), "r", "master", baseId, root, T0);

    [Fact]
    public async Task AnOpenCommitIsStartedOncePerBranchAndRoundTrips()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        Assert.Null(await Store.GetOpenCommitAsync("r", "master", Ct));
        var o = Open(null);
        Assert.True(await Store.StartCommitAsync(o, Ct));
        Assert.False(await Store.StartCommitAsync(Open(null), Ct));
        Assert.Equal(o, await Store.GetOpenCommitAsync("r", "master", Ct));
        Assert.Null(await Store.GetOpenCommitAsync("r", "dev", Ct));
        var other = o with { Id = CommitId.New(), Branch = "dev", Base = "base-id", Root = Hash.Of([9]) };
        Assert.True(await Store.StartCommitAsync(other, Ct));
        Assert.Equal(other, await Store.GetOpenCommitAsync("r", "dev", Ct));
    }

    [Fact]
    public async Task UpdatingAnOpenCommitIsACompareAndSwapOfItsRoot()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var o = Open(null);
        await Store.StartCommitAsync(o, Ct);
        var (r1, r2) = (Hash.Of([1]), Hash.Of([2]));
        Assert.False(await Store.TryUpdateOpenCommitAsync(o, r1, r2, [Node("lost")], long.MaxValue, Ct));
        Assert.Null(await Store.GetNodeAsync(Node("lost").Key, Ct));
        Assert.False(await Store.TryUpdateOpenCommitAsync(o with { Id = "other" }, null, r1, [], long.MaxValue, Ct));
        Assert.True(await Store.TryUpdateOpenCommitAsync(o, null, r1, [Node("n1")], long.MaxValue, Ct));
        Assert.Equal(Node("n1").Value, await Store.GetNodeAsync(Node("n1").Key, Ct));
        Assert.Equal(o with { Root = r1 }, await Store.GetOpenCommitAsync("r", "master", Ct));
        Assert.False(await Store.TryUpdateOpenCommitAsync(o, null, r2, [], long.MaxValue, Ct));
        Assert.True(await Store.TryUpdateOpenCommitAsync(o, r1, r2, [], long.MaxValue, Ct));
        Assert.True(await Store.TryUpdateOpenCommitAsync(o, r2, null, [], long.MaxValue, Ct));
        Assert.Equal(o, await Store.GetOpenCommitAsync("r", "master", Ct));
    }

    [Fact]
    public async Task FinishingMovesTheHeadFromTheBaseAndClosesTheCommit()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var base1 = await CommitOnAsync("r", "master");
        var root = Hash.Of([1]);
        var o = Open(base1.Id);
        await Store.StartCommitAsync(o, Ct);
        await Store.TryUpdateOpenCommitAsync(o, null, root, [], long.MaxValue, Ct);
        var c = Commit("r", 2, base1.Id, root);
        // The open commit's root has moved on: refused, nothing changed.
        Assert.False(await Store.TryFinishCommitAsync(o, c, [Version("k", c)], long.MaxValue, Ct));
        Assert.Equal(o with { Root = root }, await Store.GetOpenCommitAsync("r", "master", Ct));
        o = o with { Root = root };
        Assert.False(await Store.TryFinishCommitAsync(o with { Id = "other" }, c, [Version("k", c)], long.MaxValue, Ct));
        Assert.True(await Store.TryFinishCommitAsync(o, c, [Version("k", c)], long.MaxValue, Ct));
        Assert.Null(await Store.GetOpenCommitAsync("r", "master", Ct));
        Assert.Equal(c.Id, (await Store.GetBranchAsync("r", "master", Ct))!.Head);
        Assert.Equal(c, await Store.GetCommitAsync(c.Id, Ct));
        Assert.Equal(Version("k", c), await Store.GetVersionAsync("r", "k", c.Id, Ct));
    }

    [Fact]
    public async Task FinishingAfterTheBranchMovedChangesNothing()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var o = Open(null, Hash.Of([1]));
        Assert.True(await Store.StartCommitAsync(o, Ct));
        var moved = await CommitOnAsync("r", "master");
        var c = Commit("r", 1, null, o.Root);
        Assert.False(await Store.TryFinishCommitAsync(o, c, [Version("k", c)], long.MaxValue, Ct));
        Assert.Equal(o, await Store.GetOpenCommitAsync("r", "master", Ct));
        Assert.Equal(moved.Id, (await Store.GetBranchAsync("r", "master", Ct))!.Head);
        Assert.Null(await Store.GetCommitAsync(c.Id, Ct));
        Assert.Null(await Store.GetVersionAsync("r", "k", c.Id, Ct));
        Assert.Empty(await Store.ListVersionsAsync("r", "", "", long.MaxValue, 10, Ct));
    }

    [Fact]
    public async Task AbandoningDropsOnlyThatOpenCommit()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var o = Open(null);
        await Store.StartCommitAsync(o, Ct);
        Assert.False(await Store.AbandonCommitAsync("r", "master", "other", Ct));
        Assert.False(await Store.AbandonCommitAsync("r", "dev", o.Id, Ct));
        Assert.NotNull(await Store.GetOpenCommitAsync("r", "master", Ct));
        Assert.True(await Store.AbandonCommitAsync("r", "master", o.Id, Ct));
        Assert.False(await Store.AbandonCommitAsync("r", "master", o.Id, Ct));
        Assert.Null(await Store.GetOpenCommitAsync("r", "master", Ct));
        Assert.True(await Store.StartCommitAsync(Open(null), Ct));
    }
}
