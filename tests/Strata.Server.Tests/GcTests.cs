using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>A server process (or two) on the embedded backends or on PostgreSQL + radosgw, and how big its stored data is.</summary>
public sealed class GcTarget : IAsyncDisposable
{
    public ClusterBackends? Backends { get; private init; }
    public required StrataNode A { get; init; }
    public StrataNode? B { get; init; }

    public static async Task<GcTarget> StartAsync(string kind, bool twoNodes = false, string[]? args = null, Dictionary<string, string>? env = null)
    {
        var backends = kind == "cluster" ? await ClusterBackends.CreateAsync() : null;
        StrataNode Node(string n)
        {
            var node = new StrataNode(backends, n, args ?? []);
            foreach (var (k, v) in env ?? []) node.Environment[k] = v;
            return node;
        }
        var t = new GcTarget { Backends = backends, A = Node("a"), B = twoNodes ? Node("b") : null };
        await t.A.StartAsync();
        if (t.B is not null) await t.B.StartAsync();
        return t;
    }

    /// <summary>The data dir of an embedded node (metadata and chunks), or the chunk objects of a cluster's bucket prefix.</summary>
    public async Task<long> StoredBytesAsync() => Backends is not null
        ? await Backends.ChunkBytesAsync()
        : new DirectoryInfo(A.DataDir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    public static async Task<JsonElement> PostAsync(StrataNode node, string path)
    {
        using var admin = node.Admin();
        admin.Timeout = TimeSpan.FromMinutes(10);
        using var resp = await admin.PostAsync("api/" + path, null);
        var text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, $"{path}: {(int)resp.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task AssertFsckCleanAsync(StrataNode node)
    {
        var r = await PostAsync(node, "fsck");
        Assert.True(r.GetProperty("problemCount").GetInt64() == 0, "fsck: " + r);
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        if (B is not null) await B.DisposeAsync();
        if (Backends is not null) await Backends.DisposeAsync();
    }
}

/// <summary>Garbage of every kind is reclaimed on both backend pairs; everything live reads back whole; fsck is clean before and after.</summary>
public sealed class GcReclaimTests
{
    private static byte[] Random(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static async Task<byte[]> ReadAsync(IAmazonS3 s3, string bucket, string key, string? version)
    {
        using var r = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = version });
        var ms = new MemoryStream();
        await r.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }

    [Theory]
    [InlineData("embedded")]
    [InlineData("cluster")]
    public async Task GcReturnsStorageToItsSizeBeforeTheGarbage(string kind)
    {
        await using var t = await GcTarget.StartAsync(kind);
        using var s3 = t.A.Client();
        var repo = "gc" + Guid.NewGuid().ToString("N")[..12];
        var master = $"master.{repo}";
        await s3.PutBucketAsync(master);
        var live = new List<(string Key, string Version, byte[] Sha)>();
        for (var i = 0; i < 5; i++)
        {
            var body = Random(8 << 20, i);
            var key = i == 4 ? "obj0" : $"obj{i}"; // the last overwrites obj0: its first version stays in history
            var r = await s3.PutObjectAsync(new PutObjectRequest { BucketName = master, Key = key, InputStream = new MemoryStream(body) });
            live.Add((key, r.VersionId, SHA256.HashData(body)));
        }
        var other = $"other.{repo}"; // another live branch, from master's head
        await s3.PutBucketAsync(other);
        var o = Random(4 << 20, 50);
        live.Add(("o", (await s3.PutObjectAsync(new PutObjectRequest { BucketName = other, Key = "o", InputStream = new MemoryStream(o) })).VersionId, SHA256.HashData(o)));
        await GcTarget.AssertFsckCleanAsync(t.A);
        var before = await t.StoredBytesAsync();

        // 200 MiB on a branch that is then deleted.
        var doomed = $"doomed.{repo}";
        await s3.PutBucketAsync(doomed);
        for (var i = 0; i < 4; i++)
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = doomed, Key = $"big{i}", InputStream = new MemoryStream(Random(50 << 20, 100 + i)) });
        using (var admin = t.A.Admin())
            Assert.True((await admin.DeleteAsync($"api/repos/{repo}/branches/doomed")).IsSuccessStatusCode);
        // 100 MiB of an aborted multipart upload.
        var up = await s3.InitiateMultipartUploadAsync(master, "mp");
        for (var p = 1; p <= 20; p++)
            await s3.UploadPartAsync(new UploadPartRequest { BucketName = master, Key = "mp", UploadId = up.UploadId, PartNumber = p, InputStream = new MemoryStream(Random(5 << 20, 200 + p)) });
        await s3.AbortMultipartUploadAsync(master, "mp", up.UploadId);
        // An explicit commit with 10 MiB in it, abandoned.
        using (var admin = t.A.Admin())
        {
            Assert.True((await admin.PostAsync($"api/repos/{repo}/branches/master/commit", null)).IsSuccessStatusCode);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = master, Key = "staged", InputStream = new MemoryStream(Random(10 << 20, 300)) });
            Assert.True((await admin.DeleteAsync($"api/repos/{repo}/branches/master/commit")).IsSuccessStatusCode);
        }
        // A 10 MiB PUT refused for its wrong Content-MD5: its chunks were stored as it streamed.
        var bad = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = master, Key = "bad", InputStream = new MemoryStream(Random(10 << 20, 400)), MD5Digest = Convert.ToBase64String(MD5.HashData("x"u8.ToArray())),
        }));
        Assert.Equal("BadDigest", bad.ErrorCode);
        var bloated = await t.StoredBytesAsync();
        Assert.True(bloated - before > 300L << 20, $"the garbage was not stored: {before} -> {bloated}");

        await Task.Delay(2500); // an S3 store's touch times have whole seconds: let the garbage be older than that
        var gc = await GcTarget.PostAsync(t.A, "gc?graceSeconds=0");
        var after = await t.StoredBytesAsync();
        Assert.True(Math.Abs(after - before) <= before / 20,
            $"{kind}: {before} bytes before the garbage, {bloated} with it, {after} after gc ({gc})");
        Assert.True(gc.GetProperty("chunkBytesFreed").GetInt64() >= 300L << 20, gc.ToString());
        foreach (var (key, version, sha) in live)
        {
            var bucket = key == "o" ? other : master;
            Assert.Equal(sha, SHA256.HashData(await ReadAsync(s3, bucket, key, version)));
        }
        await GcTarget.AssertFsckCleanAsync(t.A);
        Console.WriteLine($"gc reclaim [{kind}]: {before} bytes live, {bloated} with garbage, {after} after gc; {gc.GetProperty("seconds").GetDouble():0.0} s");
    }
}

/// <summary>History retention through the admin API and S3, on both backend pairs: ListObjectVersions, versions by id and ancestry, and what gc frees.</summary>
public sealed class RetentionEndToEndTests
{
    [Theory]
    [InlineData("embedded")]
    [InlineData("cluster")]
    public async Task KeepLast50Of200Commits(string kind)
    {
        await using var t = await GcTarget.StartAsync(kind);
        using var s3 = t.A.Client();
        var repo = "ret" + Guid.NewGuid().ToString("N")[..12];
        var bucket = $"master.{repo}";
        await s3.PutBucketAsync(bucket);
        var stable = new byte[100_000];
        new Random(1).NextBytes(stable);
        var stableVersion = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "stable", InputStream = new MemoryStream(stable) })).VersionId;
        var versions = new List<(string Version, byte[] Sha)>();
        for (var i = 1; i < 200; i++)
        {
            var body = new byte[64_000];
            new Random(1000 + i).NextBytes(body);
            versions.Add(((await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "churn", InputStream = new MemoryStream(body) })).VersionId, SHA256.HashData(body)));
        }
        var before = await t.StoredBytesAsync();
        using (var admin = t.A.Admin())
        {
            var put = await admin.PutAsJsonAsync($"api/repos/{repo}/retention", new { keepLast = 50 });
            var text = await put.Content.ReadAsStringAsync();
            Assert.True(put.IsSuccessStatusCode, text);
            Assert.Contains("\"floor\":151", text.Replace(" ", "", StringComparison.Ordinal));
        }
        await Task.Delay(2500); // an S3 store's touch times have whole seconds: let the garbage be older than that
        var gc = await GcTarget.PostAsync(t.A, "gc?graceSeconds=0");
        var after = await t.StoredBytesAsync();

        // ListObjectVersions: the 50 kept versions of churn (the commits at heights 151..200 wrote it) and stable's one version, still under its own id.
        var listed = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket });
        var churn = listed.Versions.Where(v => v.Key == "churn").Select(v => v.VersionId).ToList();
        Assert.Equal(versions.Skip(149).Select(v => v.Version).Reverse(), churn);
        Assert.Equal([stableVersion], listed.Versions.Where(v => v.Key == "stable").Select(v => v.VersionId));
        foreach (var (version, sha) in versions.Skip(149))
        {
            using var r = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "churn", VersionId = version });
            var ms = new MemoryStream();
            await r.ResponseStream.CopyToAsync(ms);
            Assert.Equal(sha, SHA256.HashData(ms.ToArray()));
        }
        using (var r = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "stable", VersionId = stableVersion }))
            Assert.Equal(stableVersion, r.VersionId);
        using (var r = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "churn", VersionId = "master~48" }))
            Assert.Equal(versions[150].Version, r.VersionId);
        var gone = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "churn", VersionId = versions[100].Version }));
        Assert.Equal("NoSuchVersion", gone.ErrorCode);
        Assert.True(before - after >= 140 * 64_000, $"{kind}: {before} -> {after} bytes ({gc})");
        await GcTarget.AssertFsckCleanAsync(t.A);
        Console.WriteLine($"retention [{kind}]: keep-last 50 of 200 commits; stored {before} -> {after} bytes after gc");
    }
}
