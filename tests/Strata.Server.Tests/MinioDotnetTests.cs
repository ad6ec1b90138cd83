using System.Security.Cryptography;
using Minio;
using Minio.DataModel;
using Minio.DataModel.Args;
using Minio.DataModel.Response;
using Minio.Exceptions;

namespace Strata.Server.Tests;

/// <summary>The real Minio .NET SDK (7.0.0) against Strata: SigV4, path-style, region us-east-1, plain http.</summary>
public class MinioDotnetTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private const string SpecialKey = "dir/a b+c&d=e-é.txt";

    private IMinioClient Client(string? secret = null, HttpClient? http = null)
    {
        var port = new Uri(fx.Endpoint).Port;
        var mc = new MinioClient()
            .WithEndpoint("127.0.0.1", port)
            .WithCredentials(fx.Token, secret ?? fx.Token)
            .WithRegion("us-east-1")
            .WithSSL(false);
        if (http is not null) mc = mc.WithHttpClient(http);
        return mc.Build();
    }

    /// <summary>
    /// Minio 7.0.0 treats every non-200 answer as an error, so a ranged GetObject (which sends a ranged HEAD,
    /// then a ranged GET) throws PartialContentException on the 206 that S3 (and Strata) correctly send:
    /// minio/minio-dotnet#1342, fixed after 7.0.0 by #1343. This handler records each ranged answer (so the
    /// test still checks the server's 206 and Content-Range) and then hands the SDK a 200, as 7.0.1 would accept.
    /// </summary>
    private sealed class PartialContentShim() : DelegatingHandler(new HttpClientHandler())
    {
        public List<(HttpMethod Method, string Range, System.Net.HttpStatusCode Status, string? ContentRange, long? Length)> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var resp = await base.SendAsync(request, ct);
            if (request.Headers.Range is { } range)
            {
                lock (Seen)
                    Seen.Add((request.Method, range.ToString(), resp.StatusCode,
                        resp.Content.Headers.ContentRange?.ToString(), resp.Content.Headers.ContentLength));
                if (resp.StatusCode == System.Net.HttpStatusCode.PartialContent) resp.StatusCode = System.Net.HttpStatusCode.OK;
            }
            return resp;
        }
    }

    private static byte[] Bytes(int n, int seed = 1)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static async Task<string> NewBucketAsync(IMinioClient mc)
    {
        var bucket = ServerFixture.NewBucket();
        await mc.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket));
        return bucket;
    }

    private static Task<PutObjectResponse> PutAsync(IMinioClient mc, string bucket, string key, byte[] data,
        string? contentType = null, Dictionary<string, string>? headers = null)
    {
        var args = new PutObjectArgs().WithBucket(bucket).WithObject(key)
            .WithStreamData(new MemoryStream(data)).WithObjectSize(data.Length);
        if (contentType is not null) args = args.WithContentType(contentType);
        if (headers is not null) args = args.WithHeaders(headers);
        return mc.PutObjectAsync(args);
    }

    private static async Task<byte[]> GetAsync(IMinioClient mc, string bucket, string key,
        Func<GetObjectArgs, GetObjectArgs>? configure = null)
    {
        using var ms = new MemoryStream();
        var args = new GetObjectArgs().WithBucket(bucket).WithObject(key)
            .WithCallbackStream((s, ct) => s.CopyToAsync(ms, ct));
        if (configure is not null) args = configure(args);
        await mc.GetObjectAsync(args);
        return ms.ToArray();
    }

    private static async Task<List<Item>> ListAsync(IMinioClient mc, string bucket, string? prefix, bool recursive,
        bool v1 = false)
    {
        var items = new List<Item>();
        var args = new ListObjectsArgs().WithBucket(bucket).WithRecursive(recursive).WithListObjectsV1(v1);
        if (prefix is not null) args = args.WithPrefix(prefix);
        await foreach (var i in mc.ListObjectsEnumAsync(args)) items.Add(i);
        return items;
    }

    /// <summary>S3's multipart ETag: md5 of the concatenated part md5s, then "-partcount".</summary>
    private static string MultipartEtag(byte[] data, int partSize)
    {
        var md5s = new List<byte>();
        var parts = 0;
        for (var off = 0; off < data.Length; off += partSize, parts++)
            md5s.AddRange(MD5.HashData(data.AsSpan(off, Math.Min(partSize, data.Length - off))));
        return Convert.ToHexStringLower(MD5.HashData(md5s.ToArray())) + "-" + parts;
    }

    private static bool Same(byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b);

    private static string Md5Hex(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));

    [Fact]
    public async Task MakeBucketAndSmallObjectWithMetadata()
    {
        using var mc = Client();
        var bucket = ServerFixture.NewBucket();
        Assert.False(await mc.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket)));
        await mc.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket));
        Assert.True(await mc.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket)));
        var buckets = await mc.ListBucketsAsync();
        Assert.Contains(buckets.Buckets, b => b.Name == bucket);

        var data = "hello from minio-dotnet\n"u8.ToArray();
        var put = await PutAsync(mc, bucket, "docs/hello.txt", data, "text/x-strata",
            new Dictionary<string, string> { ["x-amz-meta-color"] = "blue", ["Flavour"] = "vanilla" });
        Assert.Equal(Md5Hex(data), put.Etag.Trim('"'));
        Assert.Equal(data.Length, put.Size);

        var stat = await mc.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject("docs/hello.txt"));
        Assert.Equal(data.Length, stat.Size);
        Assert.Equal(Md5Hex(data), stat.ETag);
        Assert.Equal("text/x-strata", stat.ContentType);
        var meta = new Dictionary<string, string>(stat.MetaData, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("blue", meta["color"]);
        Assert.Equal("vanilla", meta["flavour"]);
        Assert.Matches("^[0-9a-f]{32}$", stat.VersionId);

        Assert.Equal(data, await GetAsync(mc, bucket, "docs/hello.txt"));

        var missing = await Assert.ThrowsAsync<ObjectNotFoundException>(() =>
            mc.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject("docs/nope.txt")));
        Assert.NotNull(missing);
    }

    [Fact]
    public async Task MultipartStreamUpload()
    {
        using var mc = Client();
        var bucket = await NewBucketAsync(mc);
        // The SDK has no part-size knob: any known size >= 5 MiB goes multipart with 16 MiB parts, so
        // 12 MiB is a one-part upload; 20 MiB + 123 bytes gives two parts (16 MiB + the rest).
        var data = Bytes(20 * 1024 * 1024 + 123, 7);
        var put = await PutAsync(mc, bucket, "big/blob.bin", data, "application/x-big");
        // Multipart ETag: md5 of the part md5s, then "-<parts>".
        Assert.Equal(MultipartEtag(data, 16 * 1024 * 1024), put.Etag.Trim('"'));

        var stat = await mc.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject("big/blob.bin"));
        Assert.Equal(data.LongLength, stat.Size);
        Assert.Equal("application/x-big", stat.ContentType);
        Assert.EndsWith("-2", stat.ETag);
        var got = await GetAsync(mc, bucket, "big/blob.bin");
        Assert.Equal(data.Length, got.Length);
        Assert.True(Same(data, got));

        // And a 12 MiB stream of unknown length (ObjectSize -1): still a multipart upload.
        var twelve = Bytes(12 * 1024 * 1024, 8);
        var put12 = await mc.PutObjectAsync(new PutObjectArgs().WithBucket(bucket).WithObject("big/twelve.bin")
            .WithStreamData(new MemoryStream(twelve)).WithObjectSize(-1));
        Assert.EndsWith("-1", put12.Etag.Trim('"'));
        Assert.True(Same(twelve, await GetAsync(mc, bucket, "big/twelve.bin")));
    }

    [Fact]
    public async Task ListWithPrefixAndDelimiter()
    {
        using var mc = Client();
        var bucket = await NewBucketAsync(mc);
        foreach (var k in new[] { "a/1.txt", "a/2.txt", "a/b/3.txt", "a/b/c/4.txt", "c.txt" })
            await PutAsync(mc, bucket, k, System.Text.Encoding.UTF8.GetBytes(k));

        foreach (var v1 in new[] { false, true })
        {
            var shallow = await ListAsync(mc, bucket, "a/", recursive: false, v1);
            Assert.Equal(["a/1.txt", "a/2.txt", "a/b/"], shallow.Select(i => i.Key));
            Assert.Equal([false, false, true], shallow.Select(i => i.IsDir));
            Assert.Equal(7UL, shallow[0].Size);

            // The SDK yields a page's Contents first, then its CommonPrefixes.
            var top = await ListAsync(mc, bucket, null, recursive: false, v1);
            Assert.Equal(["c.txt", "a/"], top.Select(i => i.Key));
            Assert.Equal([false, true], top.Select(i => i.IsDir));

            var deep = await ListAsync(mc, bucket, "a/", recursive: true, v1);
            Assert.Equal(["a/1.txt", "a/2.txt", "a/b/3.txt", "a/b/c/4.txt"], deep.Select(i => i.Key));
            Assert.All(deep, i => Assert.False(i.IsDir));

            Assert.Empty(await ListAsync(mc, bucket, "zzz/", recursive: true, v1));
        }
    }

    [Fact]
    public async Task RangedGet()
    {
        var shim = new PartialContentShim();
        using var http = new HttpClient(shim);
        using var mc = Client(http: http);
        var bucket = await NewBucketAsync(mc);
        var data = Bytes(3_000_000, 3);
        await PutAsync(mc, bucket, "r.bin", data);

        var mid = await GetAsync(mc, bucket, "r.bin", a => a.WithOffsetAndLength(1_000_000, 500_000));
        Assert.Equal(data.AsSpan(1_000_000, 500_000).ToArray(), mid);
        var first = await GetAsync(mc, bucket, "r.bin", a => a.WithOffsetAndLength(0, 10));
        Assert.Equal(data[..10], first);
        var last = await GetAsync(mc, bucket, "r.bin", a => a.WithOffsetAndLength(data.Length - 7, 7));
        Assert.Equal(data[^7..], last);
        var tail = await GetAsync(mc, bucket, "r.bin", a => a.WithOffsetAndLength(2_999_000, 0)); // offset only: bytes=N-
        Assert.Equal(data[2_999_000..], tail);

        // What the server answered to the SDK's ranged HEAD and GET requests.
        Assert.Equal(8, shim.Seen.Count);
        Assert.All(shim.Seen, r => Assert.Equal(System.Net.HttpStatusCode.PartialContent, r.Status));
        Assert.Equal(
            [
                ("HEAD", "bytes=1000000-1499999", "bytes 1000000-1499999/3000000", 500_000L),
                ("GET", "bytes=1000000-1499999", "bytes 1000000-1499999/3000000", 500_000L),
                ("HEAD", "bytes=0-9", "bytes 0-9/3000000", 10L),
                ("GET", "bytes=0-9", "bytes 0-9/3000000", 10L),
                ("HEAD", "bytes=2999993-2999999", "bytes 2999993-2999999/3000000", 7L),
                ("GET", "bytes=2999993-2999999", "bytes 2999993-2999999/3000000", 7L),
                ("HEAD", "bytes=2999000-", "bytes 2999000-2999999/3000000", 1000L),
                ("GET", "bytes=2999000-", "bytes 2999000-2999999/3000000", 1000L),
            ],
            shim.Seen.Select(r => (r.Method.Method, r.Range, r.ContentRange, r.Length ?? -1)));
    }

    [Fact]
    public async Task CopyObject()
    {
        using var mc = Client();
        var bucket = await NewBucketAsync(mc);
        var other = await NewBucketAsync(mc);
        var data = Bytes(100_000, 4);
        await PutAsync(mc, bucket, "src/orig.bin", data, "image/x-test",
            new Dictionary<string, string> { ["x-amz-meta-owner"] = "alice" });

        await mc.CopyObjectAsync(new CopyObjectArgs().WithBucket(bucket).WithObject("dst/copy.bin")
            .WithCopyObjectSource(new CopySourceObjectArgs().WithBucket(bucket).WithObject("src/orig.bin")));
        Assert.Equal(data, await GetAsync(mc, bucket, "dst/copy.bin"));
        var stat = await mc.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject("dst/copy.bin"));
        Assert.Equal("image/x-test", stat.ContentType);
        Assert.Equal("alice", new Dictionary<string, string>(stat.MetaData, StringComparer.OrdinalIgnoreCase)["owner"]);

        // Across repositories, replacing the metadata.
        await mc.CopyObjectAsync(new CopyObjectArgs().WithBucket(other).WithObject("x.bin")
            .WithHeaders(new Dictionary<string, string> { ["x-amz-meta-owner"] = "bob" })
            .WithReplaceMetadataDirective(true)
            .WithCopyObjectSource(new CopySourceObjectArgs().WithBucket(bucket).WithObject("src/orig.bin")));
        Assert.Equal(data, await GetAsync(mc, other, "x.bin"));
        var stat2 = await mc.StatObjectAsync(new StatObjectArgs().WithBucket(other).WithObject("x.bin"));
        Assert.Equal("bob", new Dictionary<string, string>(stat2.MetaData, StringComparer.OrdinalIgnoreCase)["owner"]);
    }

    [Fact]
    public async Task RemoveObjectAndRemoveObjects()
    {
        using var mc = Client();
        var bucket = await NewBucketAsync(mc);
        for (var i = 0; i < 5; i++) await PutAsync(mc, bucket, $"k{i}", [(byte)('0' + i)]);

        await mc.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucket).WithObject("k0"));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() =>
            mc.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject("k0")));

        var errors = await mc.RemoveObjectsAsync(new RemoveObjectsArgs().WithBucket(bucket)
            .WithObjects(["k1", "k2", "k3", "missing"]));
        Assert.Empty(errors);
        var left = await ListAsync(mc, bucket, null, recursive: true);
        Assert.Equal(["k4"], left.Select(i => i.Key));
        // The multi-delete is one commit: one commit back, k1..k3 are all there.
        Assert.Equal("2"u8.ToArray(), await GetAsync(mc, bucket, "k2", a => a.WithVersionId("master^")));
        Assert.Equal("3"u8.ToArray(), await GetAsync(mc, bucket, "k3", a => a.WithVersionId("master^")));
    }

    [Fact]
    public async Task PresignedGetWithHttpClient()
    {
        using var mc = Client();
        var bucket = await NewBucketAsync(mc);
        var data = Bytes(4321, 5);
        await PutAsync(mc, bucket, "p/shared.bin", data);
        await PutAsync(mc, bucket, SpecialKey, "special"u8.ToArray());

        using var http = new HttpClient();
        var url = await mc.PresignedGetObjectAsync(new PresignedGetObjectArgs().WithBucket(bucket)
            .WithObject("p/shared.bin").WithExpiry(300));
        Assert.Contains("X-Amz-Signature=", url);
        using (var resp = await http.GetAsync(url))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, resp.StatusCode);
            Assert.Equal(data, await resp.Content.ReadAsByteArrayAsync());
        }

        var url2 = await mc.PresignedGetObjectAsync(new PresignedGetObjectArgs().WithBucket(bucket)
            .WithObject(SpecialKey).WithExpiry(300));
        using (var resp = await http.GetAsync(url2))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, resp.StatusCode);
            Assert.Equal("special", await resp.Content.ReadAsStringAsync());
        }

        // Tampering with the signed URL fails.
        using var bad = await http.GetAsync(url.Replace("p/shared.bin", "p/other.bin"));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, bad.StatusCode);
    }

    [Fact]
    public async Task SpecialKeyRoundTrip()
    {
        using var mc = Client();
        var bucket = await NewBucketAsync(mc);
        var data = "spaces, plus, ampersand, equals and é\n"u8.ToArray();
        await PutAsync(mc, bucket, SpecialKey, data, "text/plain",
            new Dictionary<string, string> { ["x-amz-meta-k"] = "v" });

        var listed = await ListAsync(mc, bucket, "dir/", recursive: true);
        Assert.Equal([SpecialKey], listed.Select(i => i.Key));
        var listedV1 = await ListAsync(mc, bucket, "dir/", recursive: true, v1: true);
        Assert.Equal([SpecialKey], listedV1.Select(i => i.Key));
        var shallow = await ListAsync(mc, bucket, null, recursive: false);
        Assert.Equal(["dir/"], shallow.Select(i => i.Key));

        var stat = await mc.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject(SpecialKey));
        Assert.Equal(data.Length, stat.Size);
        Assert.Equal(data, await GetAsync(mc, bucket, SpecialKey));

        await mc.CopyObjectAsync(new CopyObjectArgs().WithBucket(bucket).WithObject(SpecialKey + ".copy")
            .WithCopyObjectSource(new CopySourceObjectArgs().WithBucket(bucket).WithObject(SpecialKey)));
        Assert.Equal(data, await GetAsync(mc, bucket, SpecialKey + ".copy"));

        await mc.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucket).WithObject(SpecialKey));
        Assert.Equal([SpecialKey + ".copy"], (await ListAsync(mc, bucket, "dir/", recursive: true)).Select(i => i.Key));
    }

    [Fact]
    public async Task ReadPreviousVersion()
    {
        using var http = new HttpClient(new PartialContentShim());
        using var mc = Client(http: http);
        var bucket = await NewBucketAsync(mc);
        var v1 = "first content"u8.ToArray();
        await PutAsync(mc, bucket, "doc.txt", v1);
        var vid1 = (await mc.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject("doc.txt"))).VersionId;
        await PutAsync(mc, bucket, "doc.txt", "second, longer content"u8.ToArray());
        var vid2 = (await mc.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject("doc.txt"))).VersionId;
        Assert.Matches("^[0-9a-f]{32}$", vid1);
        Assert.NotEqual(vid1, vid2);

        Assert.Equal("second, longer content"u8.ToArray(), await GetAsync(mc, bucket, "doc.txt"));
        Assert.Equal(v1, await GetAsync(mc, bucket, "doc.txt", a => a.WithVersionId("master^")));
        Assert.Equal(v1, await GetAsync(mc, bucket, "doc.txt", a => a.WithVersionId(vid1)));

        var old = await mc.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject("doc.txt")
            .WithVersionId("master^"));
        Assert.Equal(v1.Length, old.Size);
        // A ranged read of the old version.
        Assert.Equal("content"u8.ToArray(),
            await GetAsync(mc, bucket, "doc.txt", a => a.WithVersionId("master^").WithOffsetAndLength(6, 7)));
    }

    [Fact]
    public async Task WrongSecretIsDeniedAndChangesNothing()
    {
        using var mc = Client();
        var bucket = await NewBucketAsync(mc);
        var data = "original"u8.ToArray();
        await PutAsync(mc, bucket, "guarded.txt", data);

        using var bad = Client("definitely-not-the-secret");
        // Requests with an XML error body: the SDK maps a 403 SignatureDoesNotMatch to AuthorizationException.
        AssertSignatureMismatch(await Assert.ThrowsAsync<AuthorizationException>(() =>
            PutAsync(bad, bucket, "guarded.txt", "overwritten"u8.ToArray())));
        AssertSignatureMismatch(await Assert.ThrowsAsync<AuthorizationException>(() =>
            bad.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucket).WithObject("guarded.txt"))));
        AssertSignatureMismatch(await Assert.ThrowsAsync<AuthorizationException>(() =>
            bad.RemoveObjectsAsync(new RemoveObjectsArgs().WithBucket(bucket).WithObjects(["guarded.txt"]))));
        AssertSignatureMismatch(await Assert.ThrowsAsync<AuthorizationException>(() =>
            bad.MakeBucketAsync(new MakeBucketArgs().WithBucket(ServerFixture.NewBucket()))));
        // GetObject starts with a HEAD of the bucket: a bodiless 403, which the SDK reports as AccessDeniedException.
        var denied = await Assert.ThrowsAsync<AccessDeniedException>(() => GetAsync(bad, bucket, "guarded.txt"));
        Assert.Contains("Access denied", denied.Message, StringComparison.Ordinal);
        var stat = await Assert.ThrowsAsync<AccessDeniedException>(() =>
            bad.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject("guarded.txt")));
        Assert.Contains("Access denied", stat.Message, StringComparison.Ordinal);

        // Nothing changed: same content, same single object, and no commit was made (one commit back is
        // the empty repository, so the previous version of the key does not exist).
        Assert.Equal(data, await GetAsync(mc, bucket, "guarded.txt"));
        Assert.Equal(["guarded.txt"], (await ListAsync(mc, bucket, null, recursive: true)).Select(i => i.Key));
        await Assert.ThrowsAnyAsync<MinioException>(() =>
            mc.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject("guarded.txt").WithVersionId("master^")));
    }

    private static void AssertSignatureMismatch(AuthorizationException e) =>
        Assert.Contains("signature we calculated does not match", e.Message, StringComparison.OrdinalIgnoreCase);
}
