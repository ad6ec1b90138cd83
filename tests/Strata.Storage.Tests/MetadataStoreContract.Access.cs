using Strata.Core.Auth;

namespace Strata.Storage.Tests;

// Users, tokens, roles and the root token.
public abstract partial class MetadataStoreContract
{
    [Fact]
    public async Task TokensFindTheirUser()
    {
        Assert.Null(await Access.FindTokenAsync("t1", Ct));
        await Access.CreateUserAsync("alice", false, Ct);
        await Access.AddTokenAsync("alice", "t1", Ct);
        await Access.AddTokenAsync("alice", "t2", Ct);
        Assert.Equal(new Principal("alice", false, "t1"), await Access.FindTokenAsync("t1", Ct));
        Assert.Equal(new Principal("alice", false, "t2"), await Access.FindTokenAsync("t2", Ct));
        await Access.CreateUserAsync("alice", true, Ct);
        Assert.Equal(new Principal("alice", true, "t1"), await Access.FindTokenAsync("t1", Ct));
        await Access.CreateUserAsync("bob", false, Ct);
        await Access.AddTokenAsync("bob", "t2", Ct);
        Assert.Equal(new Principal("bob", false, "t2"), await Access.FindTokenAsync("t2", Ct));
        Assert.Null(await Access.FindTokenAsync("T1", Ct));
        // A token of a user that does not exist finds nobody.
        await Access.AddTokenAsync("ghost", "t3", Ct);
        Assert.Null(await Access.FindTokenAsync("t3", Ct));
    }

    [Fact]
    public async Task RolesAreSetReplacedAndRemovedPerRepo()
    {
        await Access.CreateUserAsync("alice", false, Ct);
        Assert.Null(await Access.GetRoleAsync("alice", "r", Ct));
        await Access.SetRoleAsync("alice", "r", RepoRole.Writer, Ct);
        await Access.SetRoleAsync("alice", "s", RepoRole.Reader, Ct);
        Assert.Equal(RepoRole.Writer, await Access.GetRoleAsync("alice", "r", Ct));
        Assert.Equal(RepoRole.Reader, await Access.GetRoleAsync("alice", "s", Ct));
        await Access.SetRoleAsync("alice", "r", RepoRole.Owner, Ct);
        Assert.Equal(RepoRole.Owner, await Access.GetRoleAsync("alice", "r", Ct));
        Assert.Null(await Access.GetRoleAsync("bob", "r", Ct));
        await Access.SetRoleAsync("alice", "r", null, Ct);
        Assert.Null(await Access.GetRoleAsync("alice", "r", Ct));
        Assert.Equal(RepoRole.Reader, await Access.GetRoleAsync("alice", "s", Ct));
        await Access.SetRoleAsync("alice", "r", null, Ct);
    }

    [Fact]
    public async Task TheFirstRootTokenCandidateWinsForGood()
    {
        Assert.Equal("first", await Access.EnsureRootTokenAsync("first", Ct));
        Assert.Equal("first", await Access.EnsureRootTokenAsync("second", Ct));
        Assert.Equal("first", await Access.EnsureRootTokenAsync("first", Ct));
        Assert.Equal(new Principal("root", true, "first"), await Access.FindTokenAsync("first", Ct));
        Assert.Null(await Access.FindTokenAsync("second", Ct));
    }

    [Fact]
    public async Task RootTokenIsRepairedIfRootWasDemoted()
    {
        await Access.EnsureRootTokenAsync("first", Ct);
        await Access.CreateUserAsync("root", false, Ct);
        await Access.AddTokenAsync("someone", "first", Ct);
        Assert.Null(await Access.FindTokenAsync("first", Ct));
        Assert.Equal("first", await Access.EnsureRootTokenAsync("other", Ct));
        Assert.Equal(new Principal("root", true, "first"), await Access.FindTokenAsync("first", Ct));
    }

    [Fact]
    public async Task ConcurrentRootTokenCandidatesAgreeOnOne()
    {
        var tokens = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => Access.EnsureRootTokenAsync($"candidate-{i}", Ct))));
        Assert.Single(tokens.Distinct());
        Assert.Equal(new Principal("root", true, tokens[0]), await Access.FindTokenAsync(tokens[0], Ct));
    }
}
