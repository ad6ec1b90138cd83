using Amazon.Runtime;
using Amazon.S3;
using Strata.Core;
using Strata.Core.Storage;
using Strata.Storage.S3;

namespace Strata.Storage.Tests;

/// <summary>
/// The S3 chunk store against a real S3 server (Ceph radosgw in ./test.sh), configured by
/// STRATA_TEST_S3 (an s3:// URL with endpoint) and STRATA_TEST_S3_ACCESS_KEY / _SECRET_KEY.
/// Each test class writes under its own random prefix.
/// </summary>
public sealed class S3ChunkStoreTests : ChunkStoreContract, IAsyncLifetime
{
    private S3ChunkStore? _store;
    private S3ChunkStoreOptions? _options;
    protected override IChunkStore Store => _store!;
    // radosgw keeps LastModified to the second.
    protected override TimeSpan TimeResolution => TimeSpan.FromMilliseconds(1100);
    protected override TimeSpan ClockSlack => TimeSpan.FromSeconds(2);

    internal static S3ChunkStoreOptions Options(string? prefix = null)
    {
        var url = Environment.GetEnvironmentVariable("STRATA_TEST_S3")
            ?? throw new InvalidOperationException("STRATA_TEST_S3 is not set: run ./test.sh, which starts radosgw, or set STRATA_TEST_S3=s3://BUCKET?endpoint=http://HOST:PORT and STRATA_TEST_S3_ACCESS_KEY/_SECRET_KEY");
        var o = S3ChunkStoreOptions.Parse(url, Environment.GetEnvironmentVariable("STRATA_TEST_S3_ACCESS_KEY"), Environment.GetEnvironmentVariable("STRATA_TEST_S3_SECRET_KEY"));
        return o with { Prefix = o.Prefix + (prefix ?? $"t{Guid.NewGuid():N}/") };
    }

    internal static async Task EnsureBucketAsync(S3ChunkStoreOptions o)
    {
        using var s3 = new AmazonS3Client(new BasicAWSCredentials(o.AccessKey, o.SecretKey),
            new AmazonS3Config { ServiceURL = o.Endpoint, ForcePathStyle = true, AuthenticationRegion = o.Region });
        try { await s3.PutBucketAsync(o.Bucket); }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists") { }
    }

    public async Task InitializeAsync()
    {
        var o = _options = Options();
        await EnsureBucketAsync(o);
        _store = await S3ChunkStore.OpenAsync(o, Ct);
    }

    public Task DisposeAsync()
    {
        _store?.Dispose();
        return Task.CompletedTask;
    }

    private AmazonS3Client RawClient() => new(new BasicAWSCredentials(_options!.AccessKey, _options.SecretKey),
        new AmazonS3Config { ServiceURL = _options.Endpoint, ForcePathStyle = true, AuthenticationRegion = _options.Region });

    [Fact]
    public async Task ListingAndDeletingGoPastAThousandKeys()
    {
        // More than one page of ListObjectsV2 and more than one DeleteObjects batch.
        var ids = Enumerable.Range(0, 1010).Select(i => Hash.Of(BitConverter.GetBytes(i))).ToList();
        await Task.WhenAll(ids.Select(id => Store.PutAsync(id, id.ToBytes(), Ct)));
        var listed = new List<ChunkStat>();
        await foreach (var s in Store.ListAsync(Ct)) listed.Add(s);
        Assert.Equal(ids.Select(i => i.ToString()).Order(StringComparer.Ordinal), listed.Select(s => s.Id.ToString()));
        Assert.All(listed, s => Assert.Equal(Hash.Size, s.Length));
        await Store.DeleteAsync([.. ids.Skip(3)], Ct);
        listed.Clear();
        await foreach (var s in Store.ListAsync(Ct)) listed.Add(s);
        Assert.Equal(ids.Take(3).Select(i => i.ToString()).Order(StringComparer.Ordinal), listed.Select(s => s.Id.ToString()));
    }

    [Fact]
    public async Task ListingSkipsKeysThatAreNotChunks()
    {
        var id = Hash.Of([1, 2, 3]);
        await Store.PutAsync(id, new byte[] { 1, 2, 3 }, Ct);
        using var s3 = RawClient();
        var p = _options!.Prefix;
        foreach (var key in new[] { $"{p}chunks/README", $"{p}chunks/{id.ToString().ToUpperInvariant()}", $"{p}chunks/{id.ToString()[1..]}",
                     $"{p}chunks/{id}.tmp", $"{p}chunks/{id}/x", $"{p}other/{id}" })
            await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = _options.Bucket, Key = key, ContentBody = "x", UseChunkEncoding = false });
        var listed = new List<ChunkStat>();
        await foreach (var st in Store.ListAsync(Ct)) listed.Add(st);
        Assert.Equal([(id, 3L)], listed.Select(st => (st.Id, st.Length)));
    }

    [Fact]
    public async Task TouchKeepsTheObjectAnOctetStream()
    {
        var id = Hash.Of([4, 5, 6]);
        await Store.PutAsync(id, new byte[] { 4, 5, 6 }, Ct);
        Assert.True(await Store.TouchAsync(id, Ct));
        using var s3 = RawClient();
        var head = await s3.GetObjectMetadataAsync(_options!.Bucket, $"{_options.Prefix}chunks/{id}");
        Assert.Equal("application/octet-stream", head.Headers.ContentType);
        Assert.Equal(3, head.ContentLength);
    }

    private static async Task<string> RefusalAsync(S3ChunkStoreOptions o)
    {
        var e = await Assert.ThrowsAsync<StorageConfigurationException>(() => S3ChunkStore.OpenAsync(o, Ct));
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public async Task MissingBucketIsOneClearLine() =>
        Assert.Contains("does not exist", await RefusalAsync(Options() with { Bucket = $"no-such-{Guid.NewGuid():N}"[..30] }));

    [Fact]
    public async Task WrongCredentialsAreOneClearLine()
    {
        Assert.Contains("credentials were refused", await RefusalAsync(Options() with { SecretKey = "wrong-secret" }));
        Assert.Contains("credentials were refused", await RefusalAsync(Options() with { AccessKey = "nobody", SecretKey = "wrong-secret" }));
    }

    [Fact]
    public async Task UnreachableEndpointIsOneClearLine()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        Assert.Contains("cannot connect", await RefusalAsync(Options() with { Endpoint = $"http://127.0.0.1:{port}" }));
    }

    [Theory]
    [InlineData("http://bucket/x")]
    [InlineData("s3://")]
    [InlineData("s3://bucket?endpoint=ftp://h")]
    [InlineData("s3://bucket?colour=blue")]
    public void UrlsThatDoNotParseAreRefused(string url)
    {
        var e = Assert.Throws<StorageConfigurationException>(() => S3ChunkStoreOptions.Parse(url, "a", "b"));
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void UrlParts()
    {
        var o = S3ChunkStoreOptions.Parse("s3://data-bucket/strata/chunks-v1?endpoint=http://127.0.0.1:7480&region=eu-west-1", "ak", "sk");
        Assert.Equal(("data-bucket", "strata/chunks-v1/", "http://127.0.0.1:7480", "eu-west-1", true), (o.Bucket, o.Prefix, o.Endpoint, o.Region, o.PathStyle));
        var aws = S3ChunkStoreOptions.Parse("s3://b", "ak", "sk");
        Assert.Equal(("", null, false), (aws.Prefix, aws.Endpoint, aws.PathStyle));
        Assert.Throws<StorageConfigurationException>(() => S3ChunkStoreOptions.Parse("s3://b", null, null));
    }
}
