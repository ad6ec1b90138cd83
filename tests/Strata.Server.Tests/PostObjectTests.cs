using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Strata.S3.Auth;
using Strata.S3.Streaming;

namespace Strata.Server.Tests;

/// <summary>Browser uploads (PostObject): signed policies (SigV2 and SigV4), their conditions, and the answers S3 gives.</summary>
public sealed class PostObjectTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static string Policy(string bucket, string keyPrefix, long max = 1 << 20, DateTimeOffset? expires = null, params object[] extra)
    {
        var conditions = new List<object>
        {
            new Dictionary<string, string> { ["bucket"] = bucket },
            new object[] { "starts-with", "$key", keyPrefix },
            new object[] { "starts-with", "$Content-Type", "" },
            new object[] { "content-length-range", 0, max },
        };
        conditions.AddRange(extra);
        var doc = new { expiration = (expires ?? DateTimeOffset.UtcNow.AddHours(1)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), conditions };
        return Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(doc));
    }

    private static string V2(string token, string policy) => SigV2.Signature(token, policy);

    /// <summary>A form with its fields in order and the file last (as browsers send it).</summary>
    private static MultipartFormDataContent Form(IEnumerable<(string Name, string Value)> fields, byte[] file, string fileName = "local.bin")
    {
        var form = new MultipartFormDataContent();
        foreach (var (n, v) in fields) form.Add(new StringContent(v), n);
        form.Add(new ByteArrayContent(file), "file", fileName);
        return form;
    }

    private HttpClient Http() => new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(fx.Endpoint) };

    private async Task<string> NewBucketAsync()
    {
        var b = ServerFixture.NewBucket();
        using var s3 = fx.Client();
        await s3.PutBucketAsync(b);
        return b;
    }

    [Fact]
    public async Task SigV2FormStoresTheFileWithItsFields()
    {
        var b = await NewBucketAsync();
        var policy = Policy(b, "up/", extra: [new object[] { "starts-with", "$x-amz-meta-owner", "" }, new Dictionary<string, string> { ["acl"] = "private" },
            new object[] { "starts-with", "$tagging", "" }]);
        using var http = Http();
        var r = await http.PostAsync($"/{b}", Form(
            [("key", "up/${filename}"), ("AWSAccessKeyId", fx.Token), ("policy", policy), ("signature", V2(fx.Token, policy)),
             ("acl", "private"), ("Content-Type", "text/plain"), ("x-amz-meta-owner", "alice"), ("x-ignore-me", "whatever"),
             ("tagging", "<Tagging><TagSet><Tag><Key>team</Key><Value>ml</Value></Tag></TagSet></Tagging>")],
            Encoding.UTF8.GetBytes("hello post"), "notes.txt"));
        Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        Assert.NotNull(r.Headers.ETag);
        Assert.Equal(32, r.Headers.GetValues("x-amz-version-id").Single().Length);

        using var s3 = fx.Client();
        using var got = await s3.GetObjectAsync(b, "up/notes.txt");
        Assert.Equal("hello post", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        Assert.Equal("text/plain", got.Headers.ContentType);
        Assert.Equal("alice", got.Metadata["owner"]);
        var tags = await s3.GetObjectTaggingAsync(new Amazon.S3.Model.GetObjectTaggingRequest { BucketName = b, Key = "up/notes.txt" });
        Assert.Equal("team=ml", string.Join(",", tags.Tagging.Select(t => $"{t.Key}={t.Value}")));
    }

    [Fact]
    public async Task SigV4FormWithStatus201AnswersPostResponse()
    {
        var b = await NewBucketAsync();
        var date = DateTimeOffset.UtcNow;
        var amzDate = date.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var credential = $"{fx.Token}/{amzDate[..8]}/us-east-1/s3/aws4_request";
        var policy = Policy(b, "v4/", extra:
        [
            new Dictionary<string, string> { ["x-amz-algorithm"] = "AWS4-HMAC-SHA256" },
            new Dictionary<string, string> { ["x-amz-credential"] = credential },
            new Dictionary<string, string> { ["x-amz-date"] = amzDate },
            new object[] { "eq", "$success_action_status", "201" },
        ]);
        var key = SigV4ChunkSigner.DeriveSigningKey(fx.Token, amzDate[..8], "us-east-1", "s3");
        var sig = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(policy)));
        var file = RandomNumberGenerator.GetBytes(3 << 20 >> 2); // 768 KiB
        using var http = Http();
        var r = await http.PostAsync($"/{b}/", Form(
            [("key", "v4/a.bin"), ("x-amz-algorithm", "AWS4-HMAC-SHA256"), ("x-amz-credential", credential), ("x-amz-date", amzDate),
             ("success_action_status", "201"), ("policy", policy), ("x-amz-signature", sig), ("x-amz-checksum-sha256", Convert.ToBase64String(SHA256.HashData(file)))],
            file));
        var text = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Contains("<PostResponse>", text);
        Assert.Contains("<Key>v4/a.bin</Key>", text);
        Assert.Contains($"<ETag>\"{Convert.ToHexStringLower(MD5.HashData(file))}\"</ETag>", text);

        // A wrong signature is refused and stores nothing.
        var bad = await http.PostAsync($"/{b}", Form(
            [("key", "v4/b.bin"), ("x-amz-algorithm", "AWS4-HMAC-SHA256"), ("x-amz-credential", credential), ("x-amz-date", amzDate),
             ("success_action_status", "201"), ("policy", policy), ("x-amz-signature", new string('0', 64))], file));
        Assert.Equal(HttpStatusCode.Forbidden, bad.StatusCode);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", await bad.Content.ReadAsStringAsync());
        using var s3 = fx.Client();
        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = b });
        Assert.Equal(["v4/a.bin"], list.S3Objects!.Select(o => o.Key));
    }

    [Fact]
    public async Task PolicyRefusalsAreS3Errors()
    {
        var b = await NewBucketAsync();
        using var http = Http();
        async Task<(HttpStatusCode, string)> Post(string policy, string key = "k/x", byte[]? file = null, string? token = null, params (string, string)[] more)
        {
            var r = await http.PostAsync($"/{b}", Form(
                new[] { ("key", key), ("AWSAccessKeyId", token ?? fx.Token), ("policy", policy), ("signature", V2(token ?? fx.Token, policy)) }.Concat(more),
                file ?? "data"u8.ToArray()));
            return (r.StatusCode, await r.Content.ReadAsStringAsync());
        }

        var (s, body) = await Post(Policy(b, "k/", expires: DateTimeOffset.UtcNow.AddMinutes(-1)));
        Assert.Equal(HttpStatusCode.Forbidden, s);
        Assert.Contains("Policy expired", body);
        (s, body) = await Post(Policy(b, "other/"));
        Assert.Equal(HttpStatusCode.Forbidden, s);
        Assert.Contains("Invalid according to Policy: Policy Condition failed", body);
        (s, body) = await Post(Policy(b, "k/"), more: ("x-amz-meta-extra", "1"));
        Assert.Equal(HttpStatusCode.Forbidden, s);
        Assert.Contains("Extra input fields: x-amz-meta-extra", body);
        (s, body) = await Post(Policy(b, "k/", max: 3));
        Assert.Equal(HttpStatusCode.BadRequest, s);
        Assert.Contains("<Code>EntityTooLarge</Code>", body);
        (s, body) = await Post(Policy(b, "k/"), token: "nosuchtoken");
        Assert.Equal(HttpStatusCode.Forbidden, s);
        Assert.Contains("<Code>InvalidAccessKeyId</Code>", body);
        (s, body) = await Post(Convert.ToBase64String("{\"conditions\":[]}"u8));
        Assert.Equal(HttpStatusCode.BadRequest, s);
        Assert.Contains("<Code>InvalidPolicyDocument</Code>", body);
        (s, body) = await Post("%%%");
        Assert.Equal(HttpStatusCode.BadRequest, s);
        Assert.Contains("<Code>InvalidPolicyDocument</Code>", body);

        // A tag set is checked as PutObjectTagging's (here: a tag without a key), before the file is stored.
        (s, body) = await Post(Policy(b, "k/", extra: [new object[] { "starts-with", "$tagging", "" }]),
            more: ("tagging", "<Tagging><TagSet><Tag><Value>b</Value></Tag></TagSet></Tagging>"));
        Assert.Equal(HttpStatusCode.BadRequest, s);
        Assert.Contains("<Code>MalformedXML</Code>", body);

        // Not a form at all, and a form cut short.
        var plain = await http.PostAsync($"/{b}", new StringContent("x"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, plain.StatusCode);
        var cut = new ByteArrayContent("--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nabc"u8.ToArray());
        cut.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=XyZ");
        var malformed = await http.PostAsync($"/{b}", cut);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("<Code>MalformedPOSTRequest</Code>", await malformed.Content.ReadAsStringAsync());

        using var s3 = fx.Client();
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = b })).S3Objects ?? []);
    }

    [Fact]
    public async Task UnsignedFormsWriteNowhereAndRedirectWorks()
    {
        var b = ServerFixture.NewBucket();
        using var s3 = fx.Client();
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = b, CannedACL = S3CannedACL.PublicRead });
        using var http = Http();
        // Public-read lets anyone read, not write.
        var anon = await http.PostAsync($"/{b}", Form([("key", "a.txt")], "x"u8.ToArray()));
        Assert.Equal(HttpStatusCode.Forbidden, anon.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await anon.Content.ReadAsStringAsync());

        var policy = Policy(b, "r/", extra: [new object[] { "starts-with", "$success_action_redirect", "http://example.test/" }]);
        var r = await http.PostAsync($"/{b}", Form(
            [("key", "r/a.txt"), ("AWSAccessKeyId", fx.Token), ("policy", policy), ("signature", V2(fx.Token, policy)),
             ("success_action_redirect", "http://example.test/done")], "x"u8.ToArray()));
        Assert.Equal(HttpStatusCode.SeeOther, r.StatusCode);
        var etag = (await s3.GetObjectMetadataAsync(b, "r/a.txt")).ETag;
        Assert.Equal($"http://example.test/done?bucket={b}&key=r%2Fa.txt&etag={Uri.EscapeDataString(etag)}", r.Headers.Location!.OriginalString);
    }
}
