using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>Roles on S3 with AWSSDK.S3 against a real server: each role does what it may, is refused the rest with AccessDenied, and a refusal changes nothing.</summary>
public sealed class RoleTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private readonly AuthUsers _users = new(fx.Admin);

    private async Task<(string Bucket, string Repo)> RepoWithObjectAsync()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "original" });
        return (bucket, bucket[(bucket.IndexOf('.') + 1)..]);
    }

    private static async Task<string> ReadAsync(IAmazonS3 s3, string bucket, string key)
    {
        using var r = await s3.GetObjectAsync(bucket, key);
        return await new StreamReader(r.ResponseStream).ReadToEndAsync();
    }

    private static async Task AssertDeniedAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(call);
        Assert.Equal("AccessDenied", e.ErrorCode);
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
    }

    [Fact]
    public async Task AReaderReadsButItsWritesAreDeniedAndChangeNothing()
    {
        var (bucket, repo) = await RepoWithObjectAsync();
        var user = AuthUsers.NewName("reader");
        var (token, _) = await _users.UserAsync(user);
        await _users.GrantAsync(user, repo, "reader");
        using var s3 = fx.Client(token, token);
        Assert.Equal("original", await ReadAsync(s3, bucket, "k"));
        Assert.Single((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects);
        await AssertDeniedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "evil" }));
        await AssertDeniedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "new", ContentBody = "evil" }));
        await AssertDeniedAsync(() => s3.DeleteObjectAsync(bucket, "k"));
        await AssertDeniedAsync(() => s3.DeleteBucketAsync(bucket));
        await AssertDeniedAsync(() => s3.PutBucketAsync("dev." + repo));
        using var root = fx.Client();
        Assert.Equal("original", await ReadAsync(root, bucket, "k"));
        Assert.DoesNotContain((await root.ListBucketsAsync()).Buckets!, x => x.BucketName == "dev." + repo);
        var versions = await root.ListVersionsAsync(bucket);
        Assert.Single(versions.Versions);
    }

    [Fact]
    public async Task AWriterWritesButCannotDeleteTheBranch()
    {
        var (bucket, repo) = await RepoWithObjectAsync();
        var user = AuthUsers.NewName("writer");
        var (token, _) = await _users.UserAsync(user);
        await _users.GrantAsync(user, repo, "writer");
        using var s3 = fx.Client(token, token);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "w", ContentBody = "by writer" });
        await s3.DeleteObjectAsync(bucket, "k");
        await AssertDeniedAsync(() => s3.DeleteBucketAsync(bucket));
        await AssertDeniedAsync(() => s3.PutBucketAsync("dev." + repo));
        using var root = fx.Client();
        Assert.Equal("by writer", await ReadAsync(root, bucket, "w"));
        await root.GetBucketLocationAsync(bucket); // the bucket is still there
    }

    [Fact]
    public async Task AnOwnerOfOneRepoCannotReadAnother()
    {
        var (other, _) = await RepoWithObjectAsync();
        var user = AuthUsers.NewName("owner");
        var (token, _) = await _users.UserAsync(user);
        using var s3 = fx.Client(token, token);
        // Whoever creates a repo owns it: it may delete its branches.
        var mine = ServerFixture.NewBucket();
        await s3.PutBucketAsync(mine);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = mine, Key = "x", ContentBody = "mine" });
        var dev = "dev" + mine[mine.IndexOf('.')..];
        await s3.PutBucketAsync(dev);
        await s3.DeleteBucketAsync(dev);
        await AssertDeniedAsync(() => s3.GetObjectAsync(other, "k"));
        await AssertDeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = other }));
        await AssertDeniedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = other, Key = "k", ContentBody = "evil" }));
        var names = (await s3.ListBucketsAsync()).Buckets!.Select(b => b.BucketName).ToList();
        Assert.Contains(mine, names);
        Assert.DoesNotContain(other, names);
    }

    [Fact]
    public async Task ListBucketsShowsEachUserOnlyWhatItMayRead()
    {
        var (a, repoA) = await RepoWithObjectAsync();
        var (b, repoB) = await RepoWithObjectAsync();
        var (ua, ub, un) = (AuthUsers.NewName("la"), AuthUsers.NewName("lb"), AuthUsers.NewName("ln"));
        var (ta, _) = await _users.UserAsync(ua);
        var (tb, _) = await _users.UserAsync(ub);
        var (tn, _) = await _users.UserAsync(un);
        await _users.GrantAsync(ua, repoA, "reader");
        await _users.GrantAsync(ub, repoB, "writer");
        async Task<List<string>> BucketsAsync(string t)
        {
            using var s3 = fx.Client(t, t);
            return (await s3.ListBucketsAsync()).Buckets?.Select(x => x.BucketName).ToList() ?? [];
        }
        Assert.Equal([a], await BucketsAsync(ta));
        Assert.Equal([b], await BucketsAsync(tb));
        Assert.Empty(await BucketsAsync(tn));
        var all = await BucketsAsync(fx.Token);
        Assert.Contains(a, all);
        Assert.Contains(b, all);
    }

    [Fact]
    public async Task ARevokedTokenIsRefusedOnTheNextRequest()
    {
        var (bucket, repo) = await RepoWithObjectAsync();
        var user = AuthUsers.NewName("revoked");
        var (token, id) = await _users.UserAsync(user);
        var (second, _) = await _users.UserAsync(user + "x");
        await _users.GrantAsync(user, repo, "reader");
        using var s3 = fx.Client(token, token);
        Assert.Equal("original", await ReadAsync(s3, bucket, "k"));
        await _users.RevokeAsync(id);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"));
        Assert.Equal("InvalidAccessKeyId", e.ErrorCode);
        using var admin = AuthUsers.Bearer(fx.Server.AdminEndpoint, token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync("api/auth/whoami")).StatusCode);
        using var other = AuthUsers.Bearer(fx.Server.AdminEndpoint, second);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("api/auth/whoami")).StatusCode);
    }

    [Fact]
    public async Task AUserTokenWorksInEverySignatureForm()
    {
        var (bucket, repo) = await RepoWithObjectAsync();
        var user = AuthUsers.NewName("forms");
        var (token, _) = await _users.UserAsync(user);
        await _users.GrantAsync(user, repo, "reader");
        using var s3 = fx.Client(token, token);
        using var http = new HttpClient();
        // SigV4 presigned.
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = bucket, Key = "k", Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP });
        Assert.Equal("original", await http.GetStringAsync(url));
        // SigV2 header and query: HMAC-SHA1 with the token as the secret.
        var date = DateTimeOffset.UtcNow.ToString("r");
        var sig = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes($"GET\n\n\n{date}\n/{bucket}/k")));
        using (var req = new HttpRequestMessage(HttpMethod.Get, $"{fx.Endpoint}/{bucket}/k"))
        {
            req.Headers.TryAddWithoutValidation("Date", date);
            req.Headers.TryAddWithoutValidation("Authorization", $"AWS {token}:{sig}");
            var resp = await http.SendAsync(req);
            Assert.Equal("original", await resp.Content.ReadAsStringAsync());
        }
        var expires = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        var qsig = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes($"GET\n\n\n{expires}\n/{bucket}/k")));
        Assert.Equal("original", await http.GetStringAsync($"{fx.Endpoint}/{bucket}/k?AWSAccessKeyId={token}&Expires={expires}&Signature={Uri.EscapeDataString(qsig)}"));
        // The admin API's Bearer.
        using var admin = AuthUsers.Bearer(fx.Server.AdminEndpoint, token);
        var who = await AuthUsers.JsonAsync(await admin.GetAsync("api/auth/whoami"));
        Assert.Equal(user, who.GetProperty("user").GetString());
        // Last use was recorded (at most once a minute), and listing never shows the token.
        using var root = fx.Admin();
        var listed = (await root.GetStringAsync($"api/auth/users/{user}/tokens"));
        Assert.DoesNotContain(token, listed);
        var t = Assert.Single(JsonDocument.Parse(listed).RootElement.EnumerateArray());
        Assert.Equal(JsonValueKind.String, t.GetProperty("lastUsed").ValueKind);
    }

    [Fact]
    public async Task TheDatabaseHoldsNoTokenInPlaintext()
    {
        var user = AuthUsers.NewName("plain");
        var (token, _) = await _users.UserAsync(user);
        var (bucket, repo) = await RepoWithObjectAsync();
        await _users.GrantAsync(user, repo, "reader");
        using (var s3 = fx.Client(token, token)) await ReadAsync(s3, bucket, "k");
        var files = Directory.GetFiles(fx.DataDir, "metadata.db*");
        Assert.Contains(files, f => f.EndsWith("metadata.db", StringComparison.Ordinal));
        foreach (var f in files)
        {
            byte[] bytes;
            using (var fs = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var ms = new MemoryStream())
            {
                await fs.CopyToAsync(ms);
                bytes = ms.ToArray();
            }
            foreach (var secret in new[] { token, fx.Token })
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(secret)) < 0, $"{Path.GetFileName(f)} holds a token in plaintext");
                Assert.True(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) < 0, $"{Path.GetFileName(f)} holds a token in UTF-16");
            }
        }
    }

    [Fact]
    public async Task ARepoDeletedAndMadeAgainStartsWithoutTheOldGrants()
    {
        var (bucket, repo) = await RepoWithObjectAsync();
        var user = AuthUsers.NewName("stale");
        var (token, _) = await _users.UserAsync(user);
        await _users.GrantAsync(user, repo, "reader");
        using var root = fx.Client();
        await root.DeleteBucketAsync(bucket);
        var maker = AuthUsers.NewName("maker");
        var (makerToken, _) = await _users.UserAsync(maker);
        using (var m = fx.Client(makerToken, makerToken))
        {
            await m.PutBucketAsync(bucket);
            await m.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "secret", ContentBody = "mine" });
        }
        using var s3 = fx.Client(token, token);
        await AssertDeniedAsync(() => s3.GetObjectAsync(bucket, "secret"));
    }
}
