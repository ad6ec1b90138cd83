using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>Users and tokens live in PostgreSQL: what one node creates or revokes counts on the other at once (no token caches).</summary>
public sealed class ClusterAuthTests(ClusterFixture fx) : IClassFixture<ClusterFixture>
{
    private static AmazonS3Client Client(StrataNode node, string token) => new(new BasicAWSCredentials(token, token), new AmazonS3Config
    {
        ServiceURL = node.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0,
    });

    private static async Task<string> ReadAsync(IAmazonS3 s3, string bucket, string key)
    {
        using var r = await s3.GetObjectAsync(bucket, key);
        return await new StreamReader(r.ResponseStream).ReadToEndAsync();
    }

    [Fact]
    public async Task ATokenMadeOnOneNodeWorksOnTheOtherAndARevocationOnEitherCountsOnBothAtOnce()
    {
        var bucket = ServerFixture.NewBucket();
        var repo = bucket[(bucket.IndexOf('.') + 1)..];
        using (var a = fx.A.Client())
        {
            await a.PutBucketAsync(bucket);
            await a.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "shared" });
        }
        var users = new AuthUsers(fx.A.Admin);
        var user = AuthUsers.NewName("cl");
        var (token, id) = await users.UserAsync(user);
        await users.GrantAsync(user, repo, "reader");
        // Made through A, used on B straight away.
        using (var b = Client(fx.B, token)) Assert.Equal("shared", await ReadAsync(b, bucket, "k"));
        using (var a = Client(fx.A, token)) Assert.Equal("shared", await ReadAsync(a, bucket, "k"));
        // Revoked through B, refused by A on the next request, on S3 and on the admin API.
        await new AuthUsers(fx.B.Admin).RevokeAsync(id);
        using (var a = Client(fx.A, token))
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => a.GetObjectAsync(bucket, "k"));
            Assert.Equal("InvalidAccessKeyId", e.ErrorCode);
        }
        using (var adminA = AuthUsers.Bearer(fx.A.AdminEndpoint, token))
            Assert.Equal(HttpStatusCode.Unauthorized, (await adminA.GetAsync("api/auth/whoami")).StatusCode);

        // A grant changed on one node counts on the other too.
        var (second, _) = await users.UserAsync(user + "w");
        using (var b = Client(fx.B, second))
        {
            await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => b.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "w", ContentBody = "x" }));
            await users.GrantAsync(user + "w", repo, "writer");
            await b.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "w", ContentBody = "x" });
        }

        // Rotating the root token on A: B refuses the old one and accepts the new one at once; A rewrote its copy.
        var old = fx.A.Token;
        using var rootA = fx.A.Admin();
        var rotated = await AuthUsers.JsonAsync(await rootA.PostAsync("api/auth/rotate-root", null));
        var fresh = rotated.GetProperty("token").GetString()!;
        Assert.Equal(fresh, (await File.ReadAllTextAsync(Path.Combine(fx.A.DataDir, "root-token"))).Trim());
        using (var b = Client(fx.B, old))
            Assert.Equal("InvalidAccessKeyId", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => b.ListBucketsAsync())).ErrorCode);
        using (var b = Client(fx.B, fresh)) Assert.Contains((await b.ListBucketsAsync()).Buckets!, x => x.BucketName == bucket);
        using var adminB = AuthUsers.Bearer(fx.B.AdminEndpoint, fresh);
        Assert.True((await AuthUsers.JsonAsync(await adminB.GetAsync("api/auth/whoami"))).GetProperty("admin").GetBoolean());
    }
}
