using System.Text;
using Strata.Core;
using Strata.Core.Auth;
using Strata.Core.Storage;

namespace Strata.Storage.Tests;

/// <summary>
/// The assertions every IMetadataStore + IAccessStore must pass; one subclass per backend supplies
/// a fresh, empty store. Partial: versions, open commits, uploads and access are in the neighbouring files.
/// </summary>
public abstract partial class MetadataStoreContract
{
    protected static readonly CancellationToken Ct = CancellationToken.None;
    protected abstract IMetadataStore Store { get; }
    protected abstract IAccessStore Access { get; }

    // Millisecond precision: both stores keep unix milliseconds.
    protected static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);

    protected static KeyValuePair<Hash, byte[]> Node(string content)
    {
        var data = Encoding.UTF8.GetBytes(content);
        return new(Hash.Of(data), data);
    }

    protected static CommitInfo Commit(string repo, long height, string? parent = null, Hash? root = null, string? skip = null, string message = "m") =>
        new(CommitId.New(), repo, parent, root, height, skip, T0.AddSeconds(height), message);

    protected static VersionRow Version(string key, CommitInfo c, bool delete = false) =>
        new(key, c.Id, c.Height, delete, delete ? 0 : key.Length * 10 + c.Height, $"\"etag-{key}-{c.Height}\"", c.TimeUnixMs);

    /// <summary>Commits on the branch from its current head; asserts it took.</summary>
    protected async Task<CommitInfo> CommitOnAsync(string repo, string branch, IReadOnlyCollection<VersionRow>? versions = null,
        IReadOnlyCollection<KeyValuePair<Hash, byte[]>>? nodes = null, Func<CommitInfo, IReadOnlyCollection<VersionRow>>? versionsOf = null)
    {
        var head = (await Store.GetBranchAsync(repo, branch, Ct))!.Head;
        var parent = head is null ? null : await Store.GetCommitAsync(head, Ct);
        var c = Commit(repo, (parent?.Height ?? 0) + 1, head);
        Assert.True(await Store.TryCommitAsync(branch, head, c, nodes ?? [], versionsOf?.Invoke(c) ?? versions ?? [], Ct));
        return c;
    }

    [Fact]
    public async Task CreateBranchCreatesTheRepoAndRefusesADuplicate()
    {
        Assert.False(await Store.RepoExistsAsync("r", Ct));
        Assert.Null(await Store.GetBranchAsync("r", "master", Ct));
        Assert.True(await Store.CreateBranchAsync("r", "master", null, T0, Ct));
        Assert.True(await Store.RepoExistsAsync("r", Ct));
        Assert.Equal(new BranchInfo("r", "master", null, T0) { MayHaveObjectTags = false }, await Store.GetBranchAsync("r", "master", Ct));
        Assert.False(await Store.CreateBranchAsync("r", "master", "abc", T0.AddDays(1), Ct));
        Assert.Equal(new BranchInfo("r", "master", null, T0) { MayHaveObjectTags = false }, await Store.GetBranchAsync("r", "master", Ct));
        Assert.True(await Store.CreateBranchAsync("r", "dev", "abc", T0.AddDays(1), Ct));
        Assert.Equal(new BranchInfo("r", "dev", "abc", T0.AddDays(1)) { MayHaveObjectTags = false }, await Store.GetBranchAsync("r", "dev", Ct));
        Assert.False(await Store.RepoExistsAsync("R", Ct));
    }

    [Fact]
    public async Task DeletingTheLastBranchDeletesTheRepo()
    {
        Assert.False(await Store.DeleteBranchAsync("r", "master", Ct));
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        await Store.CreateBranchAsync("r", "dev", null, T0, Ct);
        await Store.CreateBranchAsync("other", "master", null, T0, Ct);
        Assert.True(await Store.DeleteBranchAsync("r", "master", Ct));
        Assert.False(await Store.DeleteBranchAsync("r", "master", Ct));
        Assert.True(await Store.RepoExistsAsync("r", Ct));
        Assert.Null(await Store.GetBranchAsync("r", "master", Ct));
        Assert.True(await Store.DeleteBranchAsync("r", "dev", Ct));
        Assert.False(await Store.RepoExistsAsync("r", Ct));
        Assert.True(await Store.RepoExistsAsync("other", Ct));
        Assert.Equal(["other/master"], (await Store.ListBranchesAsync(Ct)).Select(b => $"{b.Repo}/{b.Name}"));
        Assert.True(await Store.CreateBranchAsync("r", "master", null, T0, Ct));
        Assert.True(await Store.RepoExistsAsync("r", Ct));
    }

    [Fact]
    public async Task ListBranchesIsOrderedByRepoThenNameInByteOrder()
    {
        string[] names = ["b", "a", "B", "A", "a-b", "a_b", "_", "-", "a0", "Z", "z", "ab"];
        foreach (var repo in new[] { "r2", "r1", "R" })
            foreach (var n in names)
                await Store.CreateBranchAsync(repo, n, null, T0, Ct);
        var expected = new[] { "R", "r1", "r2" }.SelectMany(r => names.Order(StringComparer.Ordinal).Select(n => (r, n))).ToList();
        Assert.Equal(expected, (await Store.ListBranchesAsync(Ct)).Select(b => (b.Repo, b.Name)));
    }

    [Fact]
    public async Task GetCommitRoundTripsEveryField()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        Assert.Null(await Store.GetCommitAsync("missing", Ct));
        var first = Commit("r", 1);
        Assert.True(await Store.TryCommitAsync("master", null, first, [], [], Ct));
        Assert.Equal(first, await Store.GetCommitAsync(first.Id, Ct));
        Assert.Null(first.Parent);
        Assert.Null(first.Root);
        Assert.Null(first.Skip);
        var second = Commit("r", 2, first.Id, Hash.Of([1, 2, 3]), first.Id, "ünïcødé message\nwith a second line 😀");
        Assert.True(await Store.TryCommitAsync("master", first.Id, second, [], [], Ct));
        Assert.Equal(second, await Store.GetCommitAsync(second.Id, Ct));
        Assert.Equal(second.Id, (await Store.GetBranchAsync("r", "master", Ct))!.Head);
    }

    [Fact]
    public async Task TryCommitWithTheWrongHeadStoresNothing()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var good = await CommitOnAsync("r", "master");
        var node = Node("never stored");
        foreach (var expected in new[] { null, "not-the-head" })
        {
            var c = Commit("r", 2, expected);
            Assert.False(await Store.TryCommitAsync("master", expected, c, [node], [Version("k", c)], Ct));
            Assert.Null(await Store.GetCommitAsync(c.Id, Ct));
            Assert.Null(await Store.GetVersionAsync("r", "k", c.Id, Ct));
        }
        var lost = Commit("r", 1);
        Assert.False(await Store.TryCommitAsync("no-such-branch", null, lost, [node], [Version("k", lost)], Ct));
        Assert.Null(await Store.GetCommitAsync(lost.Id, Ct));
        Assert.Null(await Store.GetNodeAsync(node.Key, Ct));
        Assert.Empty(await Store.ListVersionsAsync("r", "", "", long.MaxValue, 100, Ct));
        Assert.Equal(good.Id, (await Store.GetBranchAsync("r", "master", Ct))!.Head);
    }

    [Fact]
    public async Task TryCommitMovesTheHeadFromNullThenAlongTheChain()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var c1 = Commit("r", 1);
        Assert.True(await Store.TryCommitAsync("master", null, c1, [Node("a")], [Version("k", c1)], Ct));
        Assert.Equal(c1.Id, (await Store.GetBranchAsync("r", "master", Ct))!.Head);
        var c2 = Commit("r", 2, c1.Id);
        Assert.False(await Store.TryCommitAsync("master", null, c2, [], [], Ct));
        Assert.True(await Store.TryCommitAsync("master", c1.Id, c2, [Node("a"), Node("b")], [Version("k", c2)], Ct));
        Assert.Equal(c2.Id, (await Store.GetBranchAsync("r", "master", Ct))!.Head);
        Assert.Equal(Node("b").Value, await Store.GetNodeAsync(Node("b").Key, Ct));
    }

    [Fact]
    public async Task ConcurrentCommitsOnTheSameHeadHaveExactlyOneWinner()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var start = await CommitOnAsync("r", "master");
        const int n = 16;
        var commits = Enumerable.Range(0, n).Select(_ => Commit("r", 2, start.Id)).ToArray();
        // Overlapping node sets in different orders: the stores must neither deadlock nor mix them up.
        var results = await Task.WhenAll(commits.Select((c, i) => Task.Run(() => Store.TryCommitAsync("master", start.Id, c,
            (i % 2 == 0 ? new[] { Node("shared-1"), Node("shared-2"), Node($"own-{i}") } : [Node($"own-{i}"), Node("shared-2"), Node("shared-1")]),
            [Version("k", c), Version($"k{i}", c)], Ct))));
        Assert.Equal(1, results.Count(ok => ok));
        var winner = commits[Array.IndexOf(results, true)];
        Assert.Equal(winner.Id, (await Store.GetBranchAsync("r", "master", Ct))!.Head);
        for (var i = 0; i < n; i++)
        {
            var won = commits[i] == winner;
            Assert.Equal(won, await Store.GetCommitAsync(commits[i].Id, Ct) is not null);
            Assert.Equal(won, await Store.GetNodeAsync(Node($"own-{i}").Key, Ct) is not null);
        }
        Assert.NotNull(await Store.GetNodeAsync(Node("shared-1").Key, Ct));
        Assert.Equal([("k", winner.Id), ($"k{Array.IndexOf(commits, winner)}", winner.Id)],
            (await Store.ListVersionsAsync("r", "k", "", long.MaxValue, 100, Ct)).Select(v => (v.Key, v.CommitId)).Order());
    }

    [Fact]
    public async Task NodesAreStoredOnceAndMissingOnesAreNull()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var big = new byte[300_000];
        new Random(7).NextBytes(big);
        var bigNode = new KeyValuePair<Hash, byte[]>(Hash.Of(big), big);
        var empty = new KeyValuePair<Hash, byte[]>(Hash.Of([]), []);
        await CommitOnAsync("r", "master", nodes: [Node("x"), bigNode, empty]);
        await CommitOnAsync("r", "master", nodes: [Node("x"), Node("y")]);
        Assert.Equal(Node("x").Value, await Store.GetNodeAsync(Node("x").Key, Ct));
        Assert.Equal(Node("y").Value, await Store.GetNodeAsync(Node("y").Key, Ct));
        Assert.Equal(big, await Store.GetNodeAsync(bigNode.Key, Ct));
        var emptyData = await Store.GetNodeAsync(empty.Key, Ct);
        Assert.NotNull(emptyData);
        Assert.Empty(emptyData);
        Assert.Null(await Store.GetNodeAsync(Node("z").Key, Ct));
    }

    [Fact]
    public async Task RacingCreateAndDeleteNeverLeaveABranchWithoutItsRepo()
    {
        for (var round = 0; round < 20; round++)
        {
            var repo = $"r{round}";
            await Store.CreateBranchAsync(repo, "master", null, T0, Ct);
            // Deleting the last branch while another is created: either the repo goes and comes
            // back with the new branch, or it stays.
            var delete = Task.Run(() => Store.DeleteBranchAsync(repo, "master", Ct));
            var create = Task.Run(() => Store.CreateBranchAsync(repo, "dev", null, T0, Ct));
            Assert.True(await delete);
            Assert.True(await create);
            Assert.True(await Store.RepoExistsAsync(repo, Ct));
            Assert.Equal(["dev"], (await Store.ListBranchesAsync(Ct)).Where(b => b.Repo == repo).Select(b => b.Name));
        }
    }
}
