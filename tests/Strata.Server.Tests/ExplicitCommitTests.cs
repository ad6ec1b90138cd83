using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

public class ExplicitCommitTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task WritesInAnOpenCommitAppearAtOnceWhenFinished()
    {
        using var s3 = fx.Client();
        using var admin = fx.Admin();
        var bucket = ServerFixture.NewBucket();
        var repo = bucket.Split('.')[1];
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "before", ContentBody = "b" });

        var start = await admin.PostAsync($"/api/repos/{repo}/branches/master/commit", null);
        Assert.Equal(HttpStatusCode.Created, start.StatusCode);
        var id = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync($"/api/repos/{repo}/branches/master/commit", null)).StatusCode);

        await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"batch/{i:D4}", ContentBody = $"{i}" }, ct);
            Assert.Equal(id, put.VersionId);
        });
        await s3.DeleteObjectAsync(bucket, "before");
        // Readers still see the last finished commit.
        var during = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["before"], during.S3Objects.Select(o => o.Key));
        using (var open = JsonDocument.Parse(await admin.GetStringAsync($"/api/repos/{repo}/branches/master/commit")))
            Assert.Equal(201, open.RootElement.GetProperty("changedFiles").GetInt32());

        var finish = await admin.PostAsJsonAsync($"/api/repos/{repo}/branches/master/commit/finish", new { message = "batch" });
        Assert.Equal(HttpStatusCode.OK, finish.StatusCode);
        var after = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "batch/" });
        Assert.Equal(200, after.KeyCount);
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "before" })).S3Objects ?? []);
        using var diff = JsonDocument.Parse(await admin.GetStringAsync($"/api/repos/{repo}/diff?from=master^&to=master"));
        var changes = diff.RootElement.GetProperty("changes").EnumerateArray().ToList();
        Assert.Equal(200, changes.Count(c => c.GetProperty("change").GetString() == "added"));
        Assert.Equal("before", changes.Single(c => c.GetProperty("change").GetString() == "deleted").GetProperty("path").GetString());
        // One commit, so one step back is the state before it.
        using var old = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "before", VersionId = "master^" });
        var versions = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = "batch/0007" });
        Assert.Equal(id, versions.Versions.Single().VersionId);
    }

    [Fact]
    public async Task FilesOfAFinishedCommitWereLastModifiedWhenItFinished()
    {
        using var s3 = fx.Client();
        using var admin = fx.Admin();
        var bucket = ServerFixture.NewBucket();
        var repo = bucket.Split('.')[1];
        await s3.PutBucketAsync(bucket);
        (await admin.PostAsync($"/api/repos/{repo}/branches/master/commit", null)).EnsureSuccessStatusCode();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "early", ContentBody = "written first" });
        await Task.Delay(TimeSpan.FromSeconds(2.2)); // LastModified has whole seconds
        var finish = await admin.PostAsJsonAsync($"/api/repos/{repo}/branches/master/commit/finish", new { message = "late" });
        finish.EnsureSuccessStatusCode();
        using var commit = JsonDocument.Parse(await finish.Content.ReadAsStringAsync());
        var finished = commit.RootElement.GetProperty("time").GetDateTimeOffset();
        var head = await s3.GetObjectMetadataAsync(bucket, "early");
        Assert.Equal(finished.ToUnixTimeSeconds(), new DateTimeOffset(head.LastModified!.Value.ToUniversalTime(), TimeSpan.Zero).ToUnixTimeSeconds());
        var listed = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects!.Single();
        Assert.Equal(finished.ToUnixTimeSeconds(), new DateTimeOffset(listed.LastModified!.Value.ToUniversalTime(), TimeSpan.Zero).ToUnixTimeSeconds());
        var version = (await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket })).Versions!.Single();
        Assert.Equal(finished.ToUnixTimeSeconds(), new DateTimeOffset(version.LastModified!.Value.ToUniversalTime(), TimeSpan.Zero).ToUnixTimeSeconds());
    }

    [Fact]
    public async Task AbandonedCommitLeavesNoTrace()
    {
        using var s3 = fx.Client();
        using var admin = fx.Admin();
        var bucket = ServerFixture.NewBucket();
        var repo = bucket.Split('.')[1];
        await s3.PutBucketAsync(bucket);
        await admin.PostAsync($"/api/repos/{repo}/branches/master/commit", null);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "x", ContentBody = "x" });
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/repos/{repo}/branches/master/commit")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/repos/{repo}/branches/master/commit/finish", null)).StatusCode);
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []);
        // Writes after the abandon are ordinary commits again.
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "y", ContentBody = "y" });
        Assert.Equal(["y"], (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => o.Key));
        Assert.Matches("^[0-9a-f]{32}$", put.VersionId);
    }
}
