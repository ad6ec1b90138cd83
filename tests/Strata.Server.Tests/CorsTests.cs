using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>Bucket CORS configuration and the CORS behaviour it drives: unsigned preflights, and headers on matching requests.</summary>
public sealed class CorsTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static CORSConfiguration Rules() => new()
    {
        Rules =
        [
            new CORSRule
            {
                Id = "app", AllowedOrigins = ["https://app.example.test", "https://*.preview.test"], AllowedMethods = ["GET", "PUT", "HEAD"],
                AllowedHeaders = ["content-type", "x-amz-*"], ExposeHeaders = ["ETag", "x-amz-version-id"], MaxAgeSeconds = 600,
            },
            new CORSRule { AllowedOrigins = ["*"], AllowedMethods = ["GET"] },
        ],
    };

    private async Task<string> BucketAsync(bool withRules = true)
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "data" });
        if (withRules) await s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest { BucketName = bucket, Configuration = Rules() });
        return bucket;
    }

    private async Task<HttpResponseMessage> PreflightAsync(string path, string? origin, string? method, string? headers = null)
    {
        using var http = new HttpClient();
        var msg = new HttpRequestMessage(HttpMethod.Options, $"{fx.Endpoint}{path}");
        if (origin is not null) msg.Headers.Add("Origin", origin);
        if (method is not null) msg.Headers.Add("Access-Control-Request-Method", method);
        if (headers is not null) msg.Headers.Add("Access-Control-Request-Headers", headers);
        return await http.SendAsync(msg);
    }

    private static string? H(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) ? string.Join(", ", v) : r.Content.Headers.TryGetValues(name, out var c) ? string.Join(", ", c) : null;

    [Fact]
    public async Task ConfigurationRoundTripsPerBucketAndBadConfigurationChangesNothing()
    {
        using var s3 = fx.Client();
        var bucket = await BucketAsync(withRules: false);
        var none = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetCORSConfigurationAsync(new GetCORSConfigurationRequest { BucketName = bucket }));
        Assert.Equal(("NoSuchCORSConfiguration", HttpStatusCode.NotFound), (none.ErrorCode, none.StatusCode));
        await s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest { BucketName = bucket, Configuration = Rules() });
        var got = (await s3.GetCORSConfigurationAsync(new GetCORSConfigurationRequest { BucketName = bucket })).Configuration.Rules;
        Assert.Equal(2, got.Count);
        Assert.Equal(("app", 600), (got[0].Id, got[0].MaxAgeSeconds ?? 0));
        Assert.Equal(["https://app.example.test", "https://*.preview.test"], got[0].AllowedOrigins);
        Assert.Equal(["GET", "PUT", "HEAD"], got[0].AllowedMethods);
        Assert.Equal(["content-type", "x-amz-*"], got[0].AllowedHeaders);
        Assert.Equal(["ETag", "x-amz-version-id"], got[0].ExposeHeaders);

        var bad = new[]
        {
            ("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>", "InvalidRequest"),
            ("<CORSConfiguration><CORSRule><AllowedOrigin>*a*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>", "InvalidRequest"),
            ("<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>", "MalformedXML"),
            ("<CORSConfiguration></CORSConfiguration>", "MalformedXML"),
            ("<CORSConfiguration><CORSRule>", "MalformedXML"),
        };
        using var http = new HttpClient();
        foreach (var (xml, code) in bad)
        {
            using var msg = RawSigner.Message(fx.Endpoint, fx.Token, HttpMethod.Put, $"/{bucket}", "cors", content: new StringContent(xml, Encoding.UTF8, "application/xml"));
            using var resp = await http.SendAsync(msg);
            var body = await resp.Content.ReadAsStringAsync();
            Assert.True(resp.StatusCode == HttpStatusCode.BadRequest && body.Contains($"<Code>{code}</Code>"), $"{xml}: {resp.StatusCode} {body}");
        }
        Assert.Equal(2, (await s3.GetCORSConfigurationAsync(new GetCORSConfigurationRequest { BucketName = bucket })).Configuration.Rules.Count);

        // Another branch of the same repo is another bucket, with no rules of its own.
        var dev = "dev." + bucket.Split('.')[1];
        await s3.PutBucketAsync(dev);
        await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetCORSConfigurationAsync(new GetCORSConfigurationRequest { BucketName = dev }));
        using (var refused = await PreflightAsync($"/{dev}/k", "https://app.example.test", "GET"))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        await s3.DeleteCORSConfigurationAsync(new DeleteCORSConfigurationRequest { BucketName = bucket });
        await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetCORSConfigurationAsync(new GetCORSConfigurationRequest { BucketName = bucket }));
        using (var gone = await PreflightAsync($"/{bucket}/k", "https://app.example.test", "GET"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, gone.StatusCode);
            Assert.Contains("CORS is not enabled for this bucket", await gone.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task PreflightsAreAnsweredFromTheRulesWithoutCredentials()
    {
        var bucket = await BucketAsync();
        using (var ok = await PreflightAsync($"/{bucket}/k", "https://app.example.test", "PUT", "Content-Type, X-Amz-Meta-Owner"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("https://app.example.test", H(ok, "Access-Control-Allow-Origin"));
            Assert.Equal("GET, PUT, HEAD", H(ok, "Access-Control-Allow-Methods"));
            Assert.Equal("content-type, x-amz-meta-owner", H(ok, "Access-Control-Allow-Headers"));
            Assert.Equal("ETag, x-amz-version-id", H(ok, "Access-Control-Expose-Headers"));
            Assert.Equal("600", H(ok, "Access-Control-Max-Age"));
            Assert.Equal("true", H(ok, "Access-Control-Allow-Credentials"));
            Assert.Contains("Origin", H(ok, "Vary"));
        }
        using (var wildcard = await PreflightAsync($"/{bucket}/k", "https://pr-7.preview.test", "HEAD"))
            Assert.Equal("https://pr-7.preview.test", H(wildcard, "Access-Control-Allow-Origin"));
        using (var any = await PreflightAsync($"/{bucket}", "https://elsewhere.test", "GET"))
        {
            Assert.Equal(HttpStatusCode.OK, any.StatusCode);
            Assert.Equal("*", H(any, "Access-Control-Allow-Origin"));
            Assert.Null(H(any, "Access-Control-Allow-Credentials"));
        }
        foreach (var (origin, method, headers) in new (string, string, string?)[]
        {
            ("https://elsewhere.test", "PUT", null), // only the "*" rule's GET for other origins
            ("https://app.example.test", "DELETE", null),
            ("https://app.example.test", "PUT", "authorization"), // a header no rule allows
            ("https://preview.test", "PUT", null), // the wildcard needs its dot
            ("https://APP.example.test", "PUT", null), // origins compare exactly
        })
        {
            using var refused = await PreflightAsync($"/{bucket}/k", origin, method, headers);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("<Code>AccessForbidden</Code>", await refused.Content.ReadAsStringAsync());
            Assert.Null(H(refused, "Access-Control-Allow-Origin"));
        }
        using (var noMethod = await PreflightAsync($"/{bucket}/k", "https://app.example.test", null))
            Assert.Equal(HttpStatusCode.BadRequest, noMethod.StatusCode);
        using (var noOrigin = await PreflightAsync($"/{bucket}/k", null, "GET"))
            Assert.Equal(HttpStatusCode.BadRequest, noOrigin.StatusCode);
        using (var noBucket = await PreflightAsync($"/{ServerFixture.NewBucket()}/k", "https://app.example.test", "GET"))
            Assert.Equal(HttpStatusCode.Forbidden, noBucket.StatusCode);
    }

    [Fact]
    public async Task RequestsFromAnAllowedOriginGetCorsHeadersEvenOnErrors()
    {
        var bucket = await BucketAsync();
        using var http = new HttpClient();
        async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string origin, bool signed = true)
        {
            var msg = signed
                ? RawSigner.Message(fx.Endpoint, fx.Token, method, path, "", [new("Origin", origin)])
                : new HttpRequestMessage(method, $"{fx.Endpoint}{path}");
            if (!signed) msg.Headers.Add("Origin", origin);
            return await http.SendAsync(msg);
        }
        using (var ok = await SendAsync(HttpMethod.Get, $"/{bucket}/k", "https://app.example.test"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("https://app.example.test", H(ok, "Access-Control-Allow-Origin"));
            Assert.Equal("ETag, x-amz-version-id", H(ok, "Access-Control-Expose-Headers"));
            Assert.Equal("data", await ok.Content.ReadAsStringAsync());
        }
        using (var missing = await SendAsync(HttpMethod.Get, $"/{bucket}/nope", "https://app.example.test"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("https://app.example.test", H(missing, "Access-Control-Allow-Origin"));
        }
        using (var unsigned = await SendAsync(HttpMethod.Get, $"/{bucket}/k", "https://app.example.test", signed: false))
        {
            Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
            Assert.Equal("https://app.example.test", H(unsigned, "Access-Control-Allow-Origin"));
        }
        using (var other = await SendAsync(HttpMethod.Delete, $"/{bucket}/k", "https://elsewhere.test"))
        {
            Assert.Equal(HttpStatusCode.NoContent, other.StatusCode);
            Assert.Null(H(other, "Access-Control-Allow-Origin"));
        }
    }
}
