using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>Roles on the admin API: 401 without a valid token, 403 JSON for what a role may not do; admins do everything; changes are audited.</summary>
public sealed class AdminRoleTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private readonly AuthUsers _users = new(fx.Admin);

    private async Task<string> RepoAsync()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a.txt", ContentBody = "one" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a.txt", ContentBody = "two" });
        return bucket[(bucket.IndexOf('.') + 1)..];
    }

    private async Task<HttpClient> AsAsync(string role, string repo)
    {
        var user = AuthUsers.NewName(role);
        var (token, _) = await _users.UserAsync(user);
        await _users.GrantAsync(user, repo, role);
        return AuthUsers.Bearer(fx.Server.AdminEndpoint, token);
    }

    private static async Task AssertStatusAsync(HttpStatusCode expected, Task<HttpResponseMessage> call, string what)
    {
        var r = await call;
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(expected == r.StatusCode, $"{what}: expected {(int)expected}, got {(int)r.StatusCode} {body}");
        if (expected == HttpStatusCode.Forbidden) Assert.Equal("Forbidden", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
        if (expected == HttpStatusCode.Unauthorized) Assert.Equal("Unauthorized", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
    }

    private static Task<HttpResponseMessage> Post(HttpClient h, string path, object? body = null) => h.PostAsJsonAsync(path, body ?? new { });

    [Fact]
    public async Task NoOrAnUnknownTokenIs401()
    {
        using var none = AuthUsers.Bearer(fx.Server.AdminEndpoint, null);
        await AssertStatusAsync(HttpStatusCode.Unauthorized, none.GetAsync("api/repos"), "no token");
        using var bad = AuthUsers.Bearer(fx.Server.AdminEndpoint, "0123456789abcdef0123456789abcdef01234567");
        await AssertStatusAsync(HttpStatusCode.Unauthorized, bad.GetAsync("api/auth/whoami"), "unknown token");
    }

    [Fact]
    public async Task AReaderReadsEverythingOfItsRepoAndNothingMore()
    {
        var repo = await RepoAsync();
        var other = await RepoAsync();
        using var h = await AsAsync("reader", repo);
        foreach (var path in new[] { $"api/repos/{repo}", $"api/repos/{repo}/branches", $"api/repos/{repo}/branches/master/commits",
                     $"api/repos/{repo}/commits/master", $"api/repos/{repo}/files?at=master", $"api/repos/{repo}/content?at=master&path=a.txt",
                     $"api/repos/{repo}/history?at=master&path=a.txt", $"api/repos/{repo}/diff?from=master^&to=master", $"api/repos/{repo}/retention" })
            await AssertStatusAsync(HttpStatusCode.OK, h.GetAsync(path), path);
        var repos = await AuthUsers.JsonAsync(await h.GetAsync("api/repos"));
        Assert.Equal([repo], repos.EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        await AssertStatusAsync(HttpStatusCode.Forbidden, h.GetAsync($"api/repos/{other}/files?at=master"), "other repo");
        await AssertStatusAsync(HttpStatusCode.Forbidden, Post(h, $"api/repos/{repo}/branches/master/commit"), "commit start");
        await AssertStatusAsync(HttpStatusCode.Forbidden, Post(h, $"api/repos/{repo}/branches", new { name = "x" }), "branch create");
        await AssertStatusAsync(HttpStatusCode.Forbidden, h.DeleteAsync($"api/repos/{repo}/branches/master"), "branch delete");
        await AssertStatusAsync(HttpStatusCode.Forbidden, Post(h, "api/repos", new { name = AuthUsers.NewName("r") }), "repo create");
        await AssertStatusAsync(HttpStatusCode.Forbidden, h.GetAsync("api/auth/users"), "users");
        await AssertStatusAsync(HttpStatusCode.Forbidden, Post(h, "api/gc"), "gc");
        await AssertStatusAsync(HttpStatusCode.Forbidden, Post(h, "api/fsck?quick=true"), "fsck");
        await AssertStatusAsync(HttpStatusCode.Forbidden, h.PutAsJsonAsync($"api/auth/grants/someone/{repo}", new { role = "reader" }), "grant");
        await AssertStatusAsync(HttpStatusCode.Forbidden, h.GetAsync("api/auth/audit"), "audit");
    }

    [Fact]
    public async Task AWriterStartsAndFinishesCommitsButManagesNoBranches()
    {
        var repo = await RepoAsync();
        using var h = await AsAsync("writer", repo);
        await AssertStatusAsync(HttpStatusCode.Created, Post(h, $"api/repos/{repo}/branches/master/commit"), "commit start");
        await AssertStatusAsync(HttpStatusCode.OK, h.GetAsync($"api/repos/{repo}/branches/master/commit"), "commit inspect");
        await AssertStatusAsync(HttpStatusCode.OK, Post(h, $"api/repos/{repo}/branches/master/commit/finish", new { message = "w" }), "commit finish");
        await AssertStatusAsync(HttpStatusCode.Created, Post(h, $"api/repos/{repo}/branches/master/commit"), "commit start again");
        await AssertStatusAsync(HttpStatusCode.NoContent, h.DeleteAsync($"api/repos/{repo}/branches/master/commit"), "commit abandon");
        await AssertStatusAsync(HttpStatusCode.Forbidden, Post(h, $"api/repos/{repo}/branches", new { name = "x" }), "branch create");
        await AssertStatusAsync(HttpStatusCode.Forbidden, h.DeleteAsync($"api/repos/{repo}/branches/master"), "branch delete");
        await AssertStatusAsync(HttpStatusCode.Forbidden, h.DeleteAsync($"api/repos/{repo}"), "repo delete");
        await AssertStatusAsync(HttpStatusCode.Forbidden, h.PutAsJsonAsync($"api/repos/{repo}/retention", new { keepLast = 1 }), "retention");
        await AssertStatusAsync(HttpStatusCode.Forbidden, h.PutAsJsonAsync($"api/auth/grants/someone/{repo}", new { role = "reader" }), "grant");
    }

    [Fact]
    public async Task AnOwnerManagesBranchesAndGrantsOnItsRepoOnly()
    {
        var repo = await RepoAsync();
        var other = await RepoAsync();
        using var h = await AsAsync("owner", repo);
        await AssertStatusAsync(HttpStatusCode.Created, Post(h, $"api/repos/{repo}/branches", new { name = "dev", from = "master" }), "branch create");
        await AssertStatusAsync(HttpStatusCode.NoContent, h.DeleteAsync($"api/repos/{repo}/branches/dev"), "branch delete");
        var friend = AuthUsers.NewName("friend");
        await _users.UserAsync(friend);
        await AssertStatusAsync(HttpStatusCode.OK, h.PutAsJsonAsync($"api/auth/grants/{friend}/{repo}", new { role = "writer" }), "grant");
        var grants = await AuthUsers.JsonAsync(await h.GetAsync($"api/auth/grants?repo={repo}"));
        Assert.Contains(grants.EnumerateArray(), g => g.GetProperty("user").GetString() == friend && g.GetProperty("role").GetString() == "writer");
        await AssertStatusAsync(HttpStatusCode.NoContent, h.DeleteAsync($"api/auth/grants/{friend}/{repo}"), "ungrant");
        await AssertStatusAsync(HttpStatusCode.Forbidden, h.PutAsJsonAsync($"api/auth/grants/{friend}/{other}", new { role = "reader" }), "grant elsewhere");
        await AssertStatusAsync(HttpStatusCode.Forbidden, h.GetAsync($"api/auth/grants?repo={other}"), "grants elsewhere");
        await AssertStatusAsync(HttpStatusCode.Forbidden, h.GetAsync($"api/repos/{other}"), "other repo");
        await AssertStatusAsync(HttpStatusCode.Forbidden, Post(h, $"api/auth/users/{friend}/tokens"), "token create");
        await AssertStatusAsync(HttpStatusCode.Forbidden, Post(h, "api/gc"), "gc");
        await AssertStatusAsync(HttpStatusCode.Forbidden, Post(h, "api/auth/rotate-root"), "rotate-root");
        await AssertStatusAsync(HttpStatusCode.NoContent, h.DeleteAsync($"api/repos/{repo}"), "repo delete");
    }

    [Fact]
    public async Task AnAdminUserDoesEverythingAndEveryChangeIsAuditedWithoutTokens()
    {
        var repo = await RepoAsync();
        var boss = AuthUsers.NewName("boss");
        var (bossToken, bossId) = await _users.UserAsync(boss, isAdmin: true);
        using var h = AuthUsers.Bearer(fx.Server.AdminEndpoint, bossToken);
        var start = (await AuthUsers.JsonAsync(await h.GetAsync("api/auth/audit?limit=1000"))).GetProperty("entries").EnumerateArray().LastOrDefault();
        var after = start.ValueKind == JsonValueKind.Object ? start.GetProperty("seq").GetInt64() : 0;
        var bob = AuthUsers.NewName("bob");
        await AssertStatusAsync(HttpStatusCode.Created, Post(h, "api/auth/users", new { name = bob }), "user create");
        await AssertStatusAsync(HttpStatusCode.Conflict, Post(h, "api/auth/users", new { name = bob }), "user again");
        var t = await AuthUsers.JsonAsync(await Post(h, $"api/auth/users/{bob}/tokens"));
        var bobToken = t.GetProperty("token").GetString()!;
        await AssertStatusAsync(HttpStatusCode.OK, h.PutAsJsonAsync($"api/auth/grants/{bob}/{repo}", new { role = "owner" }), "grant");
        await AssertStatusAsync(HttpStatusCode.BadRequest, h.PutAsJsonAsync($"api/auth/grants/{bob}/{repo}", new { role = "god" }), "bad role");
        await AssertStatusAsync(HttpStatusCode.NoContent, h.DeleteAsync($"api/auth/tokens/{t.GetProperty("id").GetString()}"), "revoke");
        await AssertStatusAsync(HttpStatusCode.OK, h.GetAsync($"api/repos/{repo}/files?at=master"), "any repo");
        await AssertStatusAsync(HttpStatusCode.OK, h.GetAsync("api/gc"), "gc status");
        await AssertStatusAsync(HttpStatusCode.NoContent, h.DeleteAsync($"api/auth/users/{bob}"), "user delete");
        await AssertStatusAsync(HttpStatusCode.BadRequest, h.DeleteAsync("api/auth/users/root"), "root delete");
        var rootTokens = await AuthUsers.JsonAsync(await h.GetAsync("api/auth/users/root/tokens"));
        var rootId = rootTokens.EnumerateArray().Single(x => x.GetProperty("root").GetBoolean()).GetProperty("id").GetString();
        await AssertStatusAsync(HttpStatusCode.BadRequest, h.DeleteAsync($"api/auth/tokens/{rootId}"), "root token revoke");

        var text = await h.GetStringAsync($"api/auth/audit?after={after}&limit=1000");
        Assert.DoesNotContain(bobToken, text);
        Assert.DoesNotContain(bossToken, text);
        Assert.DoesNotContain(fx.Token, text);
        var entries = JsonDocument.Parse(text).RootElement.GetProperty("entries").EnumerateArray()
            .Where(e => e.GetProperty("target").GetString() == bob).ToList();
        Assert.Equal(["user.create", "token.create", "grant", "token.revoke", "user.delete"], entries.Select(e => e.GetProperty("action").GetString()));
        Assert.All(entries, e => Assert.Equal($"{boss} (token {bossId})", e.GetProperty("actor").GetString()));
        Assert.Equal($"owner on {repo}", entries[2].GetProperty("detail").GetString());
    }
}
