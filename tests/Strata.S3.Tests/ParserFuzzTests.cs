using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Strata.S3.Auth;
using Strata.S3.Errors;
using Strata.S3.Operations;
using Strata.S3.Routing;
using Strata.S3.Streaming;
using Strata.S3.Xml;

namespace Strata.S3.Tests;

/// <summary>
/// Every parser of client bytes, fed random and mutated input: it succeeds or throws S3Exception
/// (which the gateway answers as an S3 error), never anything else (which would be a 500).
/// </summary>
public sealed class ParserFuzzTests
{
    private static bool S3Only(Exception e) => e is S3Exception;

    [Fact]
    public void XmlBodies() => Fuzz.Check(Fuzz.Bytes(
            """<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a/b.txt</Key><VersionId>HEAD^</VersionId></Object><Object><Key>c&amp;d</Key></Object></Delete>"""u8.ToArray(),
            """<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"0cc175b9c0f1b6a831c399e269772661"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>"""u8.ToArray(),
            """<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>"""u8.ToArray(),
            """<!DOCTYPE x [<!ENTITY e "boom">]><AccessControlPolicy><Owner><ID>&e;</ID></Owner></AccessControlPolicy>"""u8.ToArray()),
        input =>
        {
            var doc = XmlIn.ReadAsync(new MemoryStream(input), 64 << 10, CancellationToken.None).GetAwaiter().GetResult();
            _ = doc?.Kids("Object").Select(o => o.Kid("Key")?.Value).ToList();
        }, S3Only);

    private static readonly RequestView Signed = new("PUT", "/b.r/k", "?partNumber=1&uploadId=x",
        [new("Host", "h"), new("x-amz-date", "20260101T000000Z"), new("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), new("Date", "Thu, 01 Jan 2026 00:00:00 GMT")]);

    [Fact]
    public void SigV4AuthorizationHeaders() => Fuzz.Check(Fuzz.Text(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" + new string('a', 64)),
        header =>
        {
            if (!header.StartsWith(SigV4.Algorithm, StringComparison.Ordinal)) header = SigV4.Algorithm + header;
            var c = SigV4.ParseHeader(header, Signed);
            _ = SigV4.StringToSign(c, SigV4.CanonicalRequest(Signed, c, SigV4.PayloadHash(Signed, c)));
        }, S3Only);

    [Fact]
    public void SigV4AndSigV2PresignedQueries() => Fuzz.Check(Fuzz.Text(
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=" + new string('b', 64),
            "?AWSAccessKeyId=AKID&Expires=1767225600&Signature=abc%2Bdef%3D&versionId=HEAD%5E&response-content-type=a%2Fb"),
        query =>
        {
            var view = Signed with { RawQuery = query };
            if (view.Query("X-Amz-Algorithm") is not null)
            {
                var c = SigV4.ParseQuery(view);
                _ = SigV4.CanonicalRequest(view, c, SigV4.PayloadHash(view, c));
            }
            _ = SigV2.StringToSign(view, view.Query("Expires") ?? "");
        }, S3Only);

    [Fact]
    public void SigV2HeadersAndDates() => Fuzz.Check(Fuzz.Text("Thu, 01 Jan 2026 00:00:00 GMT", "Thu, 01 Jan 2026 00:00:00 UTC", "20260101T000000Z"),
        date =>
        {
            _ = SigV2.ParseDate(date);
            _ = SigV2.StringToSign(Signed with { Headers = [new("Date", date), new("x-amz-meta-a", date)] }, date, signListType: true);
        }, S3Only);

    private static byte[] ChunkedExample() => Encoding.Latin1.GetBytes(
        "5;chunk-signature=" + new string('a', 64) + "\r\nhello\r\n3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:" + new string('c', 64) + "\r\n\r\n");

    [Fact]
    public void AwsChunkedFraming() => Fuzz.Check(Fuzz.Bytes(ChunkedExample(), "0\r\n\r\n"u8.ToArray(), "a;x=y\r\n0123456789\r\n0\r\n\r\n"u8.ToArray()),
        body =>
        {
            foreach (var (length, signer) in new (long?, IChunkSigner?)[]
                     { (null, null), (8, null), (null, new SigV4ChunkSigner(new byte[32], "20260101T000000Z", "20260101/us-east-1/s3/aws4_request", new string('0', 64))) })
            {
                try
                {
                    using var s = new AwsChunkedStream(new MemoryStream(body), length, signer);
                    s.CopyToAsync(Stream.Null).GetAwaiter().GetResult();
                    _ = s.Trailers.Count;
                }
                catch (S3Exception) { }
            }
        }, S3Only);

    [Fact]
    public void RangeHeaders() => Fuzz.Check(Fuzz.Text("bytes=0-9", "bytes=-5", "bytes=5-", "bytes=0-1,4-5", "bytes=99999999999999999999-"),
        h =>
        {
            foreach (var size in new long[] { 0, 1, 10, long.MaxValue })
            {
                try
                {
                    if (RangeHeader.Parse(h, size) is var (start, length))
                        Assert.True(start >= 0 && length > 0 && start + length <= size, $"range {start}+{length} of {size}");
                }
                catch (S3Exception) { }
            }
        }, S3Only);

    [Fact]
    public void CopySources() => Fuzz.Check(Fuzz.Text("/master.repo/dir/a%20b.txt?versionId=HEAD%5E", "b.r/k", "c0ffee00c0ffee00c0ffee00c0ffee00.master.r/k"),
        h => CopySource.Parse(h), S3Only);

    private static readonly string[] Methods = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "get", ""];

    [Fact]
    public void RouterAndPaths() => Fuzz.Check(Fuzz.Text("/master.repo/dir/a%2Fb?uploadId=x&partNumber=2", "/b.r?list-type=2&delete", "/", "/b.r/k?acl&versionId=HEAD^", "http://h/b.r/k?x"),
        target =>
        {
            var ctx = new DefaultHttpContext();
            ctx.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
            var q = target.IndexOf('?');
            ctx.Request.QueryString = q >= 0 ? new QueryString(SafeQuery(target[q..])) : QueryString.Empty;
            ctx.Request.Host = new HostString(target.Length % 3 == 0 ? "b.r.s3.example" : "s3.example");
            var (bucket, key) = S3Request.ParsePath(ctx, ["s3.example"]);
            foreach (var m in Methods)
                _ = S3Router.Route(m, bucket, key, ctx.Request.Query.ContainsKey, target.Length % 2 == 0);
            _ = S3Request.VirtualHostBucket(target, ["s3.example", "example"]);
        }, S3Only);

    // QueryString insists on a leading '?' and no '#'; Kestrel guarantees both before the gateway sees it.
    private static string SafeQuery(string q) => "?" + q[1..].Replace("#", "%23", StringComparison.Ordinal).Replace(" ", "%20", StringComparison.Ordinal);

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    [Fact]
    public void PostPolicies() => Fuzz.Check(Fuzz.Text(
            """{"expiration":"2030-01-01T00:00:00.000Z","conditions":[{"bucket":"b.r"},["starts-with","$key","up/"],["content-length-range",0,1024],["eq","$x-amz-meta-a","v"]]}""",
            """{"expiration":"2030-01-01T00:00:00Z","conditions":[["StArTs-WiTh","$Content-Type","text/"],{"acl":"private"}]}"""),
        json =>
        {
            // Both the decoded JSON and the base64 text itself are client input.
            foreach (var text in new[] { B64(json), json })
            {
                try
                {
                    var p = PostPolicy.Parse(text);
                    p.Check(new Dictionary<string, string> { ["bucket"] = "b.r", ["key"] = "up/x", ["content-type"] = "text/a,text/b" }, DateTimeOffset.UnixEpoch);
                    p.CheckLength(5);
                }
                catch (S3Exception) { }
            }
        }, S3Only);

    private static byte[] FormExample() => Encoding.UTF8.GetBytes(
        "--BoUnD\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nup/${filename}\r\n"
        + "--BoUnD\r\nContent-Disposition: form-data; name=\"policy\"; filename=\"policy\"\r\n\r\neyJ9\r\n"
        + "--BoUnD\r\nContent-Disposition: form-data; name=\"x-amz-meta-\\u00e9\"; filename*=UTF-8''a%20%C3%A9\r\n\r\nv\r\n"
        + "--BoUnD\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--BoUnD--\r\n");

    [Fact]
    public void PostForms() => Fuzz.Check(Fuzz.Bytes(FormExample()),
        body =>
        {
            foreach (var ct in new[] { "multipart/form-data; boundary=BoUnD", Encoding.Latin1.GetString(body.Take(40).ToArray()) })
            {
                if (PostForm.Boundary(ct) is not { } boundary) continue;
                var form = PostForm.ReadAsync(new MemoryStream(body), boundary, CancellationToken.None).GetAwaiter().GetResult();
                form.File.CopyToAsync(Stream.Null).GetAwaiter().GetResult();
            }
        }, S3Only);
}
