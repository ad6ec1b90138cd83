using Strata.S3.Auth;

namespace Strata.S3.Tests;

/// <summary>AWS's published S3 signature examples (SigV4 "Examples: Signature Calculations", SigV2 "Authenticating Requests").</summary>
public class SignatureTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private const string EmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static RequestView View(string method, string path, string query, params (string, string)[] headers) =>
        new(method, path, query, headers.Select(h => new KeyValuePair<string, string>(h.Item1, h.Item2)).ToList());

    [Fact]
    public void SigV4HeaderGetObjectExample()
    {
        var req = View("GET", "/test.txt", "",
            ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", EmptySha), ("x-amz-date", "20130524T000000Z"));
        var c = SigV4.ParseHeader("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", req);
        var canonical = SigV4.CanonicalRequest(req, c, SigV4.PayloadHash(req, c));
        Assert.Equal("GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:" + EmptySha +
                     "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n" + EmptySha, canonical);
        var sig = SigV4.Signature(SigV4.SigningKey(Secret, c), SigV4.StringToSign(c, canonical));
        Assert.Equal(c.Signature, sig);
    }

    [Fact]
    public void SigV4HeaderPutObjectExample()
    {
        var req = View("PUT", "/test%24file.text", "",
            ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"));
        var c = SigV4.ParseHeader("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd", req);
        var sig = SigV4.Signature(SigV4.SigningKey(Secret, c), SigV4.StringToSign(c, SigV4.CanonicalRequest(req, c, SigV4.PayloadHash(req, c))));
        Assert.Equal(c.Signature, sig);
    }

    [Fact]
    public void SigV4QueryListObjectsExample()
    {
        var req = View("GET", "/", "?max-keys=2&prefix=J",
            ("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", EmptySha), ("x-amz-date", "20130524T000000Z"));
        var c = SigV4.ParseHeader("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7", req);
        var sig = SigV4.Signature(SigV4.SigningKey(Secret, c), SigV4.StringToSign(c, SigV4.CanonicalRequest(req, c, SigV4.PayloadHash(req, c))));
        Assert.Equal(c.Signature, sig);
    }

    [Fact]
    public void SigV4PresignedExample()
    {
        var req = View("GET", "/test.txt",
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
            ("Host", "examplebucket.s3.amazonaws.com"));
        var c = SigV4.ParseQuery(req);
        Assert.Equal(86400, c.ExpiresSeconds);
        var sig = SigV4.Signature(SigV4.SigningKey(Secret, c), SigV4.StringToSign(c, SigV4.CanonicalRequest(req, c, SigV4.PayloadHash(req, c))));
        Assert.Equal(c.Signature, sig);
        // A tampered path no longer matches.
        var other = req with { RawPath = "/test2.txt" };
        Assert.NotEqual(c.Signature, SigV4.Signature(SigV4.SigningKey(Secret, c), SigV4.StringToSign(c, SigV4.CanonicalRequest(other, c, "UNSIGNED-PAYLOAD"))));
    }

    [Fact]
    public void SigV2HeaderExample()
    {
        var req = View("GET", "/johnsmith/photos/puppy.jpg", "", ("Date", "Tue, 27 Mar 2007 19:36:42 +0000"));
        var sts = SigV2.StringToSign(req, "Tue, 27 Mar 2007 19:36:42 +0000");
        Assert.Equal("GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg", sts);
        Assert.Equal("bWq2s1WEIj+Ydj0vQ697zp+IXMU=", SigV2.Signature(Secret, sts));
    }

    [Fact]
    public void SigV2CanonicalizesAmzHeadersAndSubresources()
    {
        var req = View("PUT", "/b/k", "?uploadId=abc&partNumber=2&foo=bar",
            ("Content-Type", "text/plain"), ("X-Amz-Meta-B", "2"), ("x-amz-meta-a", "1"), ("x-amz-date", "Tue, 27 Mar 2007 19:36:42 +0000"));
        Assert.Equal("PUT\n\ntext/plain\n\nx-amz-date:Tue, 27 Mar 2007 19:36:42 +0000\nx-amz-meta-a:1\nx-amz-meta-b:2\n/b/k?partNumber=2&uploadId=abc",
            SigV2.StringToSign(req, ""));
    }

    [Theory]
    [InlineData("Tue, 27 Mar 2007 19:36:42 +0000")]
    [InlineData("Tue, 27 Mar 2007 19:36:42 GMT")]
    [InlineData("Tue, 27 Mar 2007 19:36:42 UTC")] // Go's time.RFC1123 for a UTC time: rclone's --s3-v2-auth sends it
    [InlineData("Mon, 27 Mar 2007 19:36:42 GMT")] // a wrong weekday
    public void SigV2DatesInTheFormsClientsSend(string header) =>
        Assert.Equal(new DateTimeOffset(2007, 3, 27, 19, 36, 42, TimeSpan.Zero), SigV2.ParseDate(header));

    [Theory]
    [InlineData("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3,SignedHeaders=host,Signature=" + EmptySha)]
    [InlineData("AWS4-HMAC-SHA256 Credential=AK/20130525/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + EmptySha)]
    [InlineData("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=x-amz-date,Signature=" + EmptySha)]
    public void MalformedHeadersAreRefused(string header)
    {
        var req = View("GET", "/", "", ("x-amz-date", "20130524T000000Z"), ("Host", "h"));
        var e = Assert.Throws<Strata.S3.Errors.S3Exception>(() => SigV4.ParseHeader(header, req));
        Assert.Equal(Strata.S3.Errors.S3ErrorCode.AuthorizationHeaderMalformed, e.Code);
    }
}
