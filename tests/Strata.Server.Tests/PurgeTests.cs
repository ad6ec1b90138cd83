using System.Net;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Strata.Cli;

namespace Strata.Server.Tests;

/// <summary>Permanent version deletes through S3 (AWSSDK), the admin API and the CLI; delete markers of a versioning-enabled bucket.</summary>
public sealed class PurgeTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static async Task<string> PutAsync(AmazonS3Client s3, string bucket, string key, string body) =>
        (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = body })).VersionId;

    private static async Task<string> ReadAsync(AmazonS3Client s3, string bucket, string key, string? version = null)
    {
        using var r = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = version });
        return await new StreamReader(r.ResponseStream).ReadToEndAsync();
    }

    private static async Task<List<S3ObjectVersion>> VersionsAsync(AmazonS3Client s3, string bucket) =>
        (await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket })).Versions ?? [];

    [Fact]
    public async Task DeletingAVersionRemovesItAndThePreviousOneBecomesCurrent()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var v1 = await PutAsync(s3, bucket, "k", "one");
        var v2 = await PutAsync(s3, bucket, "k", "two");
        var v3 = await PutAsync(s3, bucket, "k", "three");

        // A version in the middle: the others stay readable, the current one stays current.
        var middle = await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v2 });
        Assert.Equal(v2, middle.VersionId);
        Assert.NotEqual("true", middle.DeleteMarker);
        Assert.Equal([v3, v1], (await VersionsAsync(s3, bucket)).Select(v => v.VersionId));
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => ReadAsync(s3, bucket, "k", v2));
        Assert.Equal("NoSuchVersion", gone.ErrorCode);
        Assert.Equal("one", await ReadAsync(s3, bucket, "k", v1));
        // Nor can it be copied, tagged or described by its id.
        var copy = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(new CopyObjectRequest
        { SourceBucket = bucket, SourceKey = "k", SourceVersionId = v2, DestinationBucket = bucket, DestinationKey = "copy" }));
        Assert.Equal("NoSuchVersion", copy.ErrorCode);
        var tags = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k", VersionId = v2 }));
        Assert.Equal("NoSuchVersion", tags.ErrorCode);

        // The current one: the previous version is current again.
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v3 });
        Assert.Equal("one", await ReadAsync(s3, bucket, "k"));
        var left = await VersionsAsync(s3, bucket);
        Assert.Equal(v1, Assert.Single(left).VersionId);
        Assert.True(left[0].IsLatest);

        // An id that is not (or no longer) a version of the key deletes nothing and succeeds, as S3; a malformed one is refused.
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v3 });
        var bad = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = "master^" }));
        Assert.Equal("InvalidArgument", bad.ErrorCode);
        Assert.Equal("one", await ReadAsync(s3, bucket, "k"));
    }

    [Fact]
    public async Task DeleteObjectsPurgesVersionsAndChecksEachVersionsConditions()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var a1 = await PutAsync(s3, bucket, "a", "a1");
        var a2 = await PutAsync(s3, bucket, "a", "a2");
        var b1 = await PutAsync(s3, bucket, "b", "b1");
        // The SDK throws when any object fails, with the answer inside.
        var e = await Assert.ThrowsAsync<DeleteObjectsException>(() => s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            Objects = [new KeyVersion { Key = "a", VersionId = a2 }, new KeyVersion { Key = "b", VersionId = b1, ETag = "\"not-its-etag\"" }],
        }));
        Assert.Equal(a2, Assert.Single(e.Response.DeletedObjects!).VersionId);
        Assert.Equal("PreconditionFailed", Assert.Single(e.Response.DeleteErrors!).Code);
        Assert.Equal("a1", await ReadAsync(s3, bucket, "a"));
        Assert.Equal("b1", await ReadAsync(s3, bucket, "b"));
        Assert.Equal([a1, b1], (await VersionsAsync(s3, bucket)).Select(v => v.VersionId));
    }

    [Fact]
    public async Task WithVersioningEnabledEveryDeleteWritesAMarkerAndPurgingOneRestoresTheObject()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        await s3.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled } });
        await PutAsync(s3, bucket, "k", "one");
        var markers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var d = await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k" });
            Assert.Equal("true", d.DeleteMarker);
            markers.Add(d.VersionId);
        }
        var listed = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket });
        Assert.Single(listed.Versions!, v => !v.IsDeleteMarker.GetValueOrDefault());
        Assert.Equal(3, listed.Versions!.Count(v => v.IsDeleteMarker == true));
        // A conditional delete cannot match a delete marker.
        var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", IfMatch = "\"abc\"" }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);

        foreach (var m in markers)
        {
            var purged = await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = m });
            Assert.Equal("true", purged.DeleteMarker);
        }
        Assert.Equal("one", await ReadAsync(s3, bucket, "k"));

        // Deleting the bucket forgets that versioning was enabled: made again, it is a plain bucket,
        // where deleting an absent key makes no commit.
        await s3.DeleteBucketAsync(bucket);
        await s3.PutBucketAsync(bucket);
        var absent = await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "never-written" });
        Assert.Null(absent.VersionId);
        Assert.Empty((await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket })).Versions ?? []);
    }

    [Fact]
    public async Task AVersionOtherBranchesHoldIsRefusedOverS3AndErasedEverywhereByTheCli()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        var repo = bucket.Split('.')[1];
        await s3.PutBucketAsync(bucket);
        var v1 = await PutAsync(s3, bucket, "data/secret.csv", "fine");
        var v2 = await PutAsync(s3, bucket, "data/secret.csv", "leaked");
        using var admin = fx.Admin();
        (await admin.PostAsync($"/api/repos/{repo}/branches", JsonContent(new { name = "dev", from = "master" }))).EnsureSuccessStatusCode();
        Assert.Equal("leaked", await ReadAsync(s3, $"dev.{repo}", "data/secret.csv"));

        var shared = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "data/secret.csv", VersionId = v2 }));
        Assert.Equal(HttpStatusCode.Conflict, shared.StatusCode);
        Assert.Equal("VersionInOtherBranches", shared.ErrorCode);
        Assert.Contains("dev", shared.Message);
        Assert.Equal("leaked", await ReadAsync(s3, bucket, "data/secret.csv"));

        var which = await CliAsync("purge", $"{repo}:/data/secret.csv", "--version", v2, "--which");
        Assert.Contains("dev", which);
        Assert.Contains("master", which);
        var done = await CliAsync("purge", $"{repo}:/data/secret.csv", "--version", v2, "--all-branches");
        Assert.Contains("erased version", done);
        Assert.Equal("fine", await ReadAsync(s3, bucket, "data/secret.csv"));
        Assert.Equal("fine", await ReadAsync(s3, $"dev.{repo}", "data/secret.csv"));
        Assert.Equal([v1], (await VersionsAsync(s3, bucket)).Select(v => v.VersionId));

        var audit = await admin.GetStringAsync("/api/auth/audit?limit=1000");
        Assert.Contains($"{repo}:data/secret.csv", audit);
        Assert.Contains(v2, audit);
    }

    [Fact]
    public async Task PurgingTakesTheOwnerRole()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        var repo = bucket.Split('.')[1];
        await s3.PutBucketAsync(bucket);
        var v1 = await PutAsync(s3, bucket, "k", "one");
        var users = new AuthUsers(fx.Admin);
        var name = AuthUsers.NewName("writer");
        var (token, _) = await users.UserAsync(name);
        await users.GrantAsync(name, repo, "writer");
        using var writer = fx.Client(token, token);
        var denied = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => writer.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 }));
        Assert.Equal("AccessDenied", denied.ErrorCode);
        Assert.Equal("one", await ReadAsync(s3, bucket, "k"));
        await users.GrantAsync(name, repo, "owner");
        await writer.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 });
        Assert.Equal("NoSuchKey", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => ReadAsync(s3, bucket, "k"))).ErrorCode);
    }

    private static StringContent JsonContent(object o) => new(JsonSerializer.Serialize(o), System.Text.Encoding.UTF8, "application/json");

    private async Task<string> CliAsync(params string[] args)
    {
        var w = new StringWriter();
        var all = args.Concat(["--endpoint", fx.Endpoint, "--admin", fx.Server.AdminEndpoint, "--token", fx.Token]).ToArray();
        var code = await StrataCli.RunAsync(all, CliConsole.ToWriter(w), CancellationToken.None);
        Assert.True(code == 0, $"strata {string.Join(' ', args)} exited {code}: {w}");
        return w.ToString();
    }
}
