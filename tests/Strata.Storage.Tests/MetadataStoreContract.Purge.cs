using Strata.Core;
using Strata.Core.Auth;
using Strata.Core.Storage;

namespace Strata.Storage.Tests;

// Purges: commit roots rewritten in place by one transaction that checks every branch head of the repo.
public abstract partial class MetadataStoreContract
{
    private static PurgeChange Purge(string key, CommitInfo version, IEnumerable<(string Branch, string? Head)> branches,
        IReadOnlyList<RootRewrite> rewrites, params string[] reaching) =>
        new("r", [KeyValuePair.Create(key, version.Id)], branches.Select(b => KeyValuePair.Create(b.Branch, b.Head)).ToList(), reaching, rewrites,
            [new AuditEntry(0, T0, "tester", "purge", "r:" + key, "test")]);

    /// <summary>The branch's first commit, with the node as its root and a version of k.</summary>
    private async Task<CommitInfo> RootedAsync(KeyValuePair<Hash, byte[]> root)
    {
        var c = Commit("r", 1, null, root.Key);
        Assert.True(await Store.TryCommitAsync("master", null, c, [root], [Version("k", c)], Ct));
        return c;
    }

    [Fact]
    public async Task APurgeRewritesRootsInPlaceDropsTheVersionAndIsAudited()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var (n1, n2, n3) = (Node("one"), Node("two"), Node("three"));
        var c1 = await RootedAsync(n1);
        var c2 = Commit("r", 2, c1.Id, n2.Key);
        Assert.True(await Store.TryCommitAsync("master", c1.Id, c2, [n2], [Version("k", c2)], Ct));
        var before = (await Store.GetBranchAsync("r", "master", Ct))!.Purges;

        var change = Purge("k", c2, [("master", c2.Id)], [new RootRewrite(c2.Id, n2.Key, n3.Key)], "master");
        Assert.Equal(before + 1, await Store.TryPurgeAsync(change, [n3], long.MaxValue, Ct));

        Assert.Equal(n3.Key, (await Store.GetCommitAsync(c2.Id, Ct))!.Root);
        Assert.Equal(c2 with { Root = n3.Key }, await Store.GetCommitAsync(c2.Id, Ct)); // id, parent, height, time, message stay
        Assert.NotNull(await Store.GetNodeAsync(n3.Key, Ct));
        Assert.Null(await Store.GetVersionAsync("r", "k", c2.Id, Ct));
        Assert.NotNull(await Store.GetVersionAsync("r", "k", c1.Id, Ct));
        Assert.True(await Store.WasPurgedAsync("r", "k", c2.Id, Ct));
        Assert.False(await Store.WasPurgedAsync("r", "k", c1.Id, Ct));
        Assert.Equal(before + 1, (await Store.GetBranchAsync("r", "master", Ct))!.Purges);
        Assert.Contains(await Access.ListAuditAsync(0, 100, Ct), a => a.Action == "purge" && a.Target == "r:k" && a.Actor == "tester");
    }

    [Fact]
    public async Task APurgeStoresNothingWhenAHeadMovedABranchAppearedOrARootChanged()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var (n1, n2) = (Node("one"), Node("two"));
        var c1 = await RootedAsync(n1);
        var rewrite = new RootRewrite(c1.Id, n1.Key, n2.Key);

        // The head moved on since the purge looked.
        var c2 = await CommitOnAsync("r", "master");
        Assert.Null(await Store.TryPurgeAsync(Purge("k", c1, [("master", c1.Id)], [rewrite], "master"), [n2], long.MaxValue, Ct));
        // A branch appeared that the purge did not see.
        await Store.CreateBranchAsync("r", "dev", c1.Id, T0, Ct);
        Assert.Null(await Store.TryPurgeAsync(Purge("k", c1, [("master", c2.Id)], [rewrite], "master"), [n2], long.MaxValue, Ct));
        // The commit's root is no longer the one the purge rewrote.
        Assert.Null(await Store.TryPurgeAsync(Purge("k", c1, [("master", c2.Id), ("dev", c1.Id)], [new RootRewrite(c1.Id, n2.Key, n1.Key)], "master", "dev"), [], long.MaxValue, Ct));
        // An open commit on a branch holding the version.
        Assert.True(await Store.StartCommitAsync(new OpenCommit(CommitId.New(), "r", "dev", c1.Id, n1.Key, T0), Ct));
        Assert.Null(await Store.TryPurgeAsync(Purge("k", c1, [("master", c2.Id), ("dev", c1.Id)], [rewrite], "master", "dev"), [n2], long.MaxValue, Ct));

        Assert.Equal(n1.Key, (await Store.GetCommitAsync(c1.Id, Ct))!.Root);
        Assert.NotNull(await Store.GetVersionAsync("r", "k", c1.Id, Ct));
        Assert.False(await Store.WasPurgedAsync("r", "k", c1.Id, Ct));
        Assert.Equal(0, (await Store.GetBranchAsync("r", "master", Ct))!.Purges);
        // A GC cutoff above the purge's start refuses it as it refuses a commit.
        await Store.AbandonCommitAsync("r", "dev", (await Store.GetOpenCommitAsync("r", "dev", Ct))!.Id, Ct);
        await Store.PublishGcCutoffAsync(1000, Ct);
        await Assert.ThrowsAsync<StrataException>(() => Store.TryPurgeAsync(Purge("k", c1, [("master", c2.Id), ("dev", c1.Id)], [rewrite], "master", "dev"), [n2], 999, Ct));
        Assert.NotNull(await Store.TryPurgeAsync(Purge("k", c1, [("master", c2.Id), ("dev", c1.Id)], [rewrite], "master", "dev"), [n2], 1000, Ct));
        Assert.Equal(n2.Key, (await Store.GetCommitAsync(c1.Id, Ct))!.Root);
    }

    [Fact]
    public async Task ACommitBuiltOnARootAPurgeRewroteIsRefused()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var (n1, n2) = (Node("one"), Node("two"));
        var c1 = await RootedAsync(n1);
        Assert.NotNull(await Store.TryPurgeAsync(Purge("k", c1, [("master", c1.Id)], [new RootRewrite(c1.Id, n1.Key, n2.Key)], "master"), [n2], long.MaxValue, Ct));

        // Built on c1 as it was: the head is still c1, but its tree is not what the writer read.
        var stale = new NewCommit(Commit("r", 2, c1.Id, n1.Key), []) { Base = new ParentRoot(n1.Key) };
        Assert.False(await Store.TryCommitChainAsync("master", c1.Id, [stale], [], long.MaxValue, Ct));
        Assert.Equal(c1.Id, (await Store.GetBranchAsync("r", "master", Ct))!.Head);
        var fresh = new NewCommit(Commit("r", 2, c1.Id, n2.Key), []) { Base = new ParentRoot(n2.Key) };
        Assert.True(await Store.TryCommitChainAsync("master", c1.Id, [fresh], [], long.MaxValue, Ct));
    }
}
