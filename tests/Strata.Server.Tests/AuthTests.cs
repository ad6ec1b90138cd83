using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Strata.S3.Auth;
using Strata.S3.Streaming;

namespace Strata.Server.Tests;

/// <summary>Auth on (the default): real signed clients pass; wrong, missing, expired or tampered signatures fail and change nothing.</summary>
public class AuthTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private async Task<string> NewBucketWithObjectAsync()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "original" });
        return bucket;
    }

    private async Task<string> ReadAsync(string bucket, string key)
    {
        using var s3 = fx.Client();
        using var r = await s3.GetObjectAsync(bucket, key);
        return await new StreamReader(r.ResponseStream).ReadToEndAsync();
    }

    [Fact]
    public async Task WrongSecretUnknownKeyAndNoCredentialsAreRefused()
    {
        var bucket = await NewBucketWithObjectAsync();
        using (var wrong = fx.Client(fx.Token, "not-the-secret"))
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => wrong.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "evil" }));
            Assert.Equal("SignatureDoesNotMatch", e.ErrorCode);
            Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
            var g = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => wrong.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
            Assert.Equal("SignatureDoesNotMatch", g.ErrorCode);
        }
        using (var unknown = fx.Client("nobody", "nobody"))
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => unknown.DeleteObjectAsync(bucket, "k"));
            Assert.Equal("InvalidAccessKeyId", e.ErrorCode);
        }
        using var http = new HttpClient();
        var anon = await http.GetAsync($"{fx.Endpoint}/{bucket}/k");
        Assert.Equal(HttpStatusCode.Forbidden, anon.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await anon.Content.ReadAsStringAsync());
        var anonPut = await http.PutAsync($"{fx.Endpoint}/{bucket}/k", new StringContent("evil"));
        Assert.Equal(HttpStatusCode.Forbidden, anonPut.StatusCode);
        Assert.Equal("original", await ReadAsync(bucket, "k"));
    }

    [Fact]
    public async Task PresignedUrlsWorkUntilTheyExpire()
    {
        var bucket = await NewBucketWithObjectAsync();
        using var s3 = fx.Client();
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        { BucketName = bucket, Key = "k", Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP, Verb = HttpVerb.GET });
        using var http = new HttpClient();
        Assert.Equal("original", await http.GetStringAsync(url));
        var tampered = url.Replace("/k?", "/other?");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(tampered)).StatusCode);

        var putUrl = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        { BucketName = bucket, Key = "uploaded", Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP, Verb = HttpVerb.PUT });
        Assert.Equal(HttpStatusCode.OK, (await http.PutAsync(putUrl, new ByteArrayContent("via url"u8.ToArray()))).StatusCode);
        Assert.Equal("via url", await ReadAsync(bucket, "uploaded"));

        // Signed a day ago for one hour: expired.
        var old = DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyyMMdd'T'HHmmss'Z'");
        var expired = Presign("GET", $"/{bucket}/k", old, 3600);
        var resp = await http.GetAsync(fx.Endpoint + expired);
        Assert.Equal(HttpStatusCode.Forbidden, resp.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await resp.Content.ReadAsStringAsync());
    }

    /// <summary>Builds a presigned URL by hand (for dates the SDK refuses to sign).</summary>
    private string Presign(string method, string path, string amzDate, long expires)
    {
        var host = new Uri(fx.Endpoint).Authority;
        var cred = $"{fx.Token}/{amzDate[..8]}/us-east-1/s3/aws4_request";
        var query = $"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={Uri.EscapeDataString(cred)}&X-Amz-Date={amzDate}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host";
        var view = new RequestView(method, path, query, [new("Host", host)]);
        var c = SigV4.ParseQuery(view with { RawQuery = query + "&X-Amz-Signature=" + new string('0', 64) });
        var sig = SigV4.Signature(SigV4.SigningKey(fx.Token, c), SigV4.StringToSign(c, SigV4.CanonicalRequest(view, c, "UNSIGNED-PAYLOAD")));
        return path + query + "&X-Amz-Signature=" + sig;
    }

    [Fact]
    public async Task TamperedChunkIsRejectedAndNothingIsWritten()
    {
        var bucket = await NewBucketWithObjectAsync();
        var good = await SendChunkedAsync(bucket, tamper: false);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(new string('a', 70000), await ReadAsync(bucket, "k"));
        var bad = await SendChunkedAsync(bucket, tamper: true);
        Assert.Equal(HttpStatusCode.Forbidden, bad.StatusCode);
        Assert.Contains("SignatureDoesNotMatch", await bad.Content.ReadAsStringAsync());
        Assert.Equal(new string('a', 70000), await ReadAsync(bucket, "k"));
    }

    /// <summary>A STREAMING-AWS4-HMAC-SHA256-PAYLOAD PutObject signed as the SDKs do; optionally one byte flipped after signing.</summary>
    private async Task<HttpResponseMessage> SendChunkedAsync(string bucket, bool tamper)
    {
        var data = Encoding.ASCII.GetBytes(new string('a', 70000));
        var amzDate = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'");
        var host = new Uri(fx.Endpoint).Authority;
        var path = $"/{bucket}/k";
        const string Mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
        var headers = new List<KeyValuePair<string, string>>
        {
            new("Host", host), new("x-amz-content-sha256", Mode), new("x-amz-date", amzDate),
            new("x-amz-decoded-content-length", data.Length.ToString()), new("Content-Encoding", "aws-chunked"),
        };
        var auth = $"AWS4-HMAC-SHA256 Credential={fx.Token}/{amzDate[..8]}/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length,Signature={new string('0', 64)}";
        var view = new RequestView("PUT", path, "", headers);
        var c = SigV4.ParseHeader(auth, view);
        var key = SigV4.SigningKey(fx.Token, c);
        var seed = SigV4.Signature(key, SigV4.StringToSign(c, SigV4.CanonicalRequest(view, c, Mode)));
        var signer = new SigV4ChunkSigner(key, amzDate, c.Scope, seed);
        var body = new MemoryStream();
        var prev = seed;
        foreach (var chunk in new[] { data[..65536], data[65536..], [] })
        {
            prev = signer.GetChunkSignature(prev, SHA256.HashData(chunk));
            body.Write(Encoding.ASCII.GetBytes($"{chunk.Length:x};chunk-signature={prev}\r\n"));
            body.Write(chunk);
            body.Write("\r\n"u8);
        }
        var bytes = body.ToArray();
        if (tamper) bytes[200] ^= 1;
        var msg = new HttpRequestMessage(HttpMethod.Put, fx.Endpoint + path) { Content = new ByteArrayContent(bytes) };
        msg.Headers.TryAddWithoutValidation("Authorization", auth.Replace(new string('0', 64), seed));
        msg.Headers.TryAddWithoutValidation("x-amz-content-sha256", Mode);
        msg.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        msg.Headers.TryAddWithoutValidation("x-amz-decoded-content-length", data.Length.ToString());
        msg.Content.Headers.TryAddWithoutValidation("Content-Encoding", "aws-chunked");
        using var http = new HttpClient();
        return await http.SendAsync(msg);
    }

    [Fact]
    public async Task ClockSkewIsRefused()
    {
        var bucket = await NewBucketWithObjectAsync();
        var amzDate = DateTimeOffset.UtcNow.AddMinutes(-20).ToString("yyyyMMdd'T'HHmmss'Z'");
        var host = new Uri(fx.Endpoint).Authority;
        const string Empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        var headers = new List<KeyValuePair<string, string>> { new("Host", host), new("x-amz-content-sha256", Empty), new("x-amz-date", amzDate) };
        var auth = $"AWS4-HMAC-SHA256 Credential={fx.Token}/{amzDate[..8]}/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature={new string('0', 64)}";
        var view = new RequestView("GET", $"/{bucket}/k", "", headers);
        var c = SigV4.ParseHeader(auth, view);
        var sig = SigV4.Signature(SigV4.SigningKey(fx.Token, c), SigV4.StringToSign(c, SigV4.CanonicalRequest(view, c, Empty)));
        var msg = new HttpRequestMessage(HttpMethod.Get, $"{fx.Endpoint}/{bucket}/k");
        msg.Headers.TryAddWithoutValidation("Authorization", auth.Replace(new string('0', 64), sig));
        msg.Headers.TryAddWithoutValidation("x-amz-content-sha256", Empty);
        msg.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        using var http = new HttpClient();
        var resp = await http.SendAsync(msg);
        Assert.Equal(HttpStatusCode.Forbidden, resp.StatusCode);
        Assert.Contains("RequestTimeTooSkewed", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task EscapesThatAreNotUtf8AreInvalidUri()
    {
        var bucket = await NewBucketWithObjectAsync();
        using var s3 = fx.Client();
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        { BucketName = bucket, Key = "k", Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP, Verb = HttpVerb.GET });
        using var http = new HttpClient();
        // %C3%28 is not UTF-8: S3 answers 400 InvalidURI before anything else.
        var resp = await http.GetAsync(url.Replace("/k?", "/k%C3%28?"));
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        Assert.Contains("<Code>InvalidURI</Code>", await resp.Content.ReadAsStringAsync());
    }
}
