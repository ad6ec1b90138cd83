using Strata.Core.Auth;

namespace Strata.Storage.Tests;

// Users, token hashes, roles, the root token, last use and the audit log.
public abstract partial class MetadataStoreContract
{
    /// <summary>Every text value of the access tables (users, tokens, roles, settings, audit), as stored.</summary>
    protected abstract Task<string> RawAccessTextAsync();

    private static void AssertPrincipal(string user, bool admin, string token, Principal? p)
    {
        Assert.NotNull(p);
        Assert.Equal((user, admin, token), (p.User, p.IsAdmin, p.Token));
        Assert.Equal(16, p.TokenId.Length);
    }

    [Fact]
    public async Task TokensFindTheirUser()
    {
        Assert.Null(await Access.FindTokenAsync("t1", Ct));
        await Access.CreateUserAsync("alice", false, Ct);
        var id1 = await Access.AddTokenAsync("alice", "t1", Ct);
        var id2 = await Access.AddTokenAsync("alice", "t2", Ct);
        Assert.NotEqual(id1, id2);
        AssertPrincipal("alice", false, "t1", await Access.FindTokenAsync("t1", Ct));
        Assert.Equal(id2, (await Access.FindTokenAsync("t2", Ct))!.TokenId);
        await Access.CreateUserAsync("alice", true, Ct);
        AssertPrincipal("alice", true, "t1", await Access.FindTokenAsync("t1", Ct));
        await Access.CreateUserAsync("bob", false, Ct);
        await Access.AddTokenAsync("bob", "t2", Ct);
        AssertPrincipal("bob", false, "t2", await Access.FindTokenAsync("t2", Ct));
        Assert.Null(await Access.FindTokenAsync("T1", Ct));
        // A token of a user that does not exist finds nobody.
        await Access.AddTokenAsync("ghost", "t3", Ct);
        Assert.Null(await Access.FindTokenAsync("t3", Ct));
    }

    [Fact]
    public async Task OnlyTheHashOfATokenIsStored()
    {
        await Access.CreateUserAsync("alice", false, Ct);
        var token = Tokens.New();
        await Access.AddTokenAsync("alice", token, Ct);
        var root = Tokens.New();
        Assert.True(await Access.EnsureRootTokenAsync(root, Ct));
        var raw = await RawAccessTextAsync();
        Assert.DoesNotContain(token, raw, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(root, raw, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(Tokens.Hash(token), raw);
        Assert.Contains(Tokens.Hash(root), raw);
        // The listing says which token, when made and last used, never the token.
        var listed = Assert.Single(await Access.ListTokensAsync("alice", Ct));
        Assert.Equal("alice", listed.User);
        Assert.Null(listed.LastUsed);
        Assert.False(listed.IsRoot);
        Assert.True((DateTimeOffset.UtcNow - listed.Created).Duration() < TimeSpan.FromMinutes(5));
        Assert.True(Assert.Single(await Access.ListTokensAsync("root", Ct)).IsRoot);
    }

    [Fact]
    public async Task ARevokedTokenIsRefusedAtOnceAndTheRootTokenCannotBeRevoked()
    {
        await Access.CreateUserAsync("alice", false, Ct);
        var id = await Access.AddTokenAsync("alice", "t1", Ct);
        var other = await Access.AddTokenAsync("alice", "t2", Ct);
        Assert.Equal(id, (await Access.GetTokenAsync(id, Ct))!.Id);
        Assert.True(await Access.RevokeTokenAsync(id, Ct));
        Assert.Null(await Access.FindTokenAsync("t1", Ct));
        Assert.Null(await Access.GetTokenAsync(id, Ct));
        Assert.False(await Access.RevokeTokenAsync(id, Ct));
        Assert.NotNull(await Access.FindTokenAsync("t2", Ct));
        Assert.Equal([other], (await Access.ListTokensAsync("alice", Ct)).Select(t => t.Id));
        Assert.True(await Access.EnsureRootTokenAsync("root-t", Ct));
        var rootId = (await Access.FindTokenAsync("root-t", Ct))!.TokenId;
        Assert.False(await Access.RevokeTokenAsync(rootId, Ct));
        Assert.NotNull(await Access.FindTokenAsync("root-t", Ct));
    }

    [Fact]
    public async Task LastUseIsWrittenAtMostOncePerResolution()
    {
        await Access.CreateUserAsync("alice", false, Ct);
        var id = await Access.AddTokenAsync("alice", "t1", Ct);
        Assert.Equal(0, (await Access.FindTokenAsync("t1", Ct))!.LastUsedUnixMs);
        var minute = TimeSpan.FromMinutes(1);
        await Access.TouchTokenAsync(id, T0, minute, Ct);
        Assert.Equal(T0, (await Access.GetTokenAsync(id, Ct))!.LastUsed);
        Assert.Equal(T0.ToUnixTimeMilliseconds(), (await Access.FindTokenAsync("t1", Ct))!.LastUsedUnixMs);
        await Access.TouchTokenAsync(id, T0.AddSeconds(30), minute, Ct);
        Assert.Equal(T0, (await Access.GetTokenAsync(id, Ct))!.LastUsed);
        await Access.TouchTokenAsync(id, T0.AddSeconds(61), minute, Ct);
        Assert.Equal(T0.AddSeconds(61), (await Access.GetTokenAsync(id, Ct))!.LastUsed);
        // The helper skips the store entirely within the resolution.
        var p = (await Access.FindTokenAsync("t1", Ct))!;
        await Tokens.NoteUseAsync(Access, p, T0.AddSeconds(90), Ct);
        Assert.Equal(T0.AddSeconds(61), (await Access.GetTokenAsync(id, Ct))!.LastUsed);
        await Tokens.NoteUseAsync(Access, p, T0.AddSeconds(200), Ct);
        Assert.Equal(T0.AddSeconds(200), (await Access.GetTokenAsync(id, Ct))!.LastUsed);
    }

    [Fact]
    public async Task UsersAreListedAndDeletedWithTheirTokensAndGrants()
    {
        await Access.CreateUserAsync("bob", false, Ct);
        await Access.CreateUserAsync("alice", true, Ct);
        await Access.AddTokenAsync("bob", "tb", Ct);
        await Access.SetRoleAsync("bob", "r", RepoRole.Writer, Ct);
        Assert.Equal([("alice", true), ("bob", false)], (await Access.ListUsersAsync(Ct)).Select(u => (u.Name, u.IsAdmin)));
        Assert.True(await Access.DeleteUserAsync("bob", Ct));
        Assert.False(await Access.DeleteUserAsync("bob", Ct));
        Assert.Null(await Access.FindTokenAsync("tb", Ct));
        Assert.Empty(await Access.ListTokensAsync("bob", Ct));
        Assert.Null(await Access.GetRoleAsync("bob", "r", Ct));
        // A user of the same name made later starts with nothing.
        await Access.CreateUserAsync("bob", false, Ct);
        Assert.Null(await Access.FindTokenAsync("tb", Ct));
        Assert.Empty(await Access.ListGrantsAsync("bob", null, Ct));
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
        await Access.SetRoleAsync("bob", "r", RepoRole.Reader, Ct);
        Assert.Equal([new RoleGrant("alice", "r", RepoRole.Owner), new RoleGrant("alice", "s", RepoRole.Reader)], await Access.ListGrantsAsync("alice", null, Ct));
        Assert.Equal([new RoleGrant("alice", "r", RepoRole.Owner), new RoleGrant("bob", "r", RepoRole.Reader)], await Access.ListGrantsAsync(null, "r", Ct));
        Assert.Equal(3, (await Access.ListGrantsAsync(null, null, Ct)).Count);
        await Access.SetRoleAsync("alice", "r", null, Ct);
        Assert.Null(await Access.GetRoleAsync("alice", "r", Ct));
        Assert.Equal(RepoRole.Reader, await Access.GetRoleAsync("alice", "s", Ct));
        await Access.SetRoleAsync("alice", "r", null, Ct);
    }

    [Fact]
    public async Task TheFirstRootTokenCandidateWinsForGood()
    {
        Assert.True(await Access.EnsureRootTokenAsync("first", Ct));
        Assert.False(await Access.EnsureRootTokenAsync("second", Ct));
        Assert.True(await Access.EnsureRootTokenAsync("first", Ct));
        AssertPrincipal("root", true, "first", await Access.FindTokenAsync("first", Ct));
        Assert.Null(await Access.FindTokenAsync("second", Ct));
    }

    [Fact]
    public async Task RootTokenIsRepairedIfRootWasDemoted()
    {
        await Access.EnsureRootTokenAsync("first", Ct);
        await Access.CreateUserAsync("root", false, Ct);
        await Access.AddTokenAsync("someone", "first", Ct);
        Assert.Null(await Access.FindTokenAsync("first", Ct));
        Assert.False(await Access.EnsureRootTokenAsync("other", Ct));
        AssertPrincipal("root", true, "first", await Access.FindTokenAsync("first", Ct));
    }

    [Fact]
    public async Task ConcurrentRootTokenCandidatesAgreeOnOne()
    {
        var won = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () => await Access.EnsureRootTokenAsync($"candidate-{i}", Ct) ? $"candidate-{i}" : null)));
        var root = Assert.Single(won, w => w is not null)!;
        AssertPrincipal("root", true, root, await Access.FindTokenAsync(root, Ct));
    }

    [Fact]
    public async Task RotatingTheRootTokenReplacesTheOldOne()
    {
        Assert.True(await Access.EnsureRootTokenAsync("old-root", Ct));
        await Access.CreateUserAsync("alice", false, Ct);
        await Access.AddTokenAsync("alice", "ta", Ct);
        await Access.RotateRootTokenAsync("new-root", Ct);
        Assert.Null(await Access.FindTokenAsync("old-root", Ct));
        AssertPrincipal("root", true, "new-root", await Access.FindTokenAsync("new-root", Ct));
        Assert.True(await Access.EnsureRootTokenAsync("new-root", Ct));
        Assert.False(await Access.EnsureRootTokenAsync("old-root", Ct));
        Assert.Null(await Access.FindTokenAsync("old-root", Ct));
        Assert.True(Assert.Single(await Access.ListTokensAsync("root", Ct)).IsRoot);
        Assert.NotNull(await Access.FindTokenAsync("ta", Ct));
    }

    [Fact]
    public async Task AuditEntriesAreKeptInOrderAndPaged()
    {
        Assert.Empty(await Access.ListAuditAsync(0, 10, Ct));
        for (var i = 0; i < 5; i++)
            await Access.AppendAuditAsync(new AuditEntry(0, T0.AddSeconds(i), "root", "user.create", $"u{i}", $"admin=false #{i}"), Ct);
        var first = await Access.ListAuditAsync(0, 3, Ct);
        Assert.Equal(["u0", "u1", "u2"], first.Select(e => e.Target));
        Assert.Equal(T0.AddSeconds(1), first[1].Time);
        Assert.Equal(("root", "user.create", "admin=false #1"), (first[1].Actor, first[1].Action, first[1].Detail));
        Assert.True(first[0].Seq < first[1].Seq && first[1].Seq < first[2].Seq);
        Assert.Equal(["u3", "u4"], (await Access.ListAuditAsync(first[^1].Seq, 3, Ct)).Select(e => e.Target));
    }
}
