using System.Net.Sockets;
using System.Text;
using Strata.S3.Auth;
using Strata.S3.Tests;

namespace Strata.Server.Tests;

/// <summary>
/// Mutated raw requests against a real server (auth on): whatever arrives, the answer is never a
/// 500, and every answer the gateway gives to a failed request is an S3 XML Error. Kestrel may
/// refuse what is not HTTP before the gateway sees it (a bare 400 without x-amz-request-id) or
/// drop a request cut short; both are allowed.
/// </summary>
public sealed class RequestFuzzTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    /// <summary>A request before signing, so that a mutation of its body, query or a header can be signed afresh and reach the parsers behind authentication.</summary>
    private sealed record Seed(string Method, string Path, string Query, KeyValuePair<string, string>[] Headers, byte[] Body);

    private byte[] Raw(Seed s) => Raw(s.Method, s.Path, s.Query, s.Headers, s.Body);

    private byte[] Raw(string method, string path, string query, IEnumerable<KeyValuePair<string, string>>? extra, byte[] body)
    {
        // A body framed as aws-chunked says so in its payload mode, which is signed.
        var chunked = extra?.Any(h => h.Value == "aws-chunked") == true;
        var headers = RawSigner.Sign(fx.Endpoint, fx.Token, method, path, query, extra,
            chunked ? "STREAMING-UNSIGNED-PAYLOAD-TRAILER" : RawSigner.UnsignedPayload);
        var sb = new StringBuilder($"{method} {path}{(query.Length > 0 ? "?" + query : "")} HTTP/1.1\r\n");
        foreach (var (k, v) in headers) sb.Append(k).Append(": ").Append(v).Append("\r\n");
        sb.Append("Content-Length: ").Append(body.Length).Append("\r\nConnection: close\r\n\r\n");
        return [.. Encoding.UTF8.GetBytes(sb.ToString()), .. body];
    }

    private Seed[] Seeds(string bucket)
    {
        var form = "--XX\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nf/${filename}\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc\r\n--XX--\r\n";
        var chunked = "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n";
        return
        [
            new Seed("PUT", $"/{bucket}/k%20x", "", [new("Content-MD5", "kAFQmDzST7DWlj99KOF/cg=="), new("x-amz-meta-a", "b")], "abc"u8.ToArray()),
            new Seed("GET", $"/{bucket}/k", "versionId=HEAD%5E", [new("Range", "bytes=1-2"), new("If-None-Match", "\"x\"")], []),
            new Seed("POST", $"/{bucket}", "delete", [], "<Delete><Object><Key>k</Key></Object><Quiet>true</Quiet></Delete>"u8.ToArray()),
            new Seed("POST", $"/{bucket}/m", "uploadId=abc", [], "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag></Part></CompleteMultipartUpload>"u8.ToArray()),
            new Seed("PUT", $"/{bucket}/c", "", [new("x-amz-copy-source", $"/{bucket}/k?versionId=HEAD")], []),
            new Seed("PUT", $"/{bucket}", "versioning", [], "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"u8.ToArray()),
            new Seed("PUT", $"/{bucket}/ch", "", [new("x-amz-trailer", "x-amz-checksum-crc32"), new("x-amz-decoded-content-length", "3"), new("Content-Encoding", "aws-chunked")],
                Encoding.ASCII.GetBytes(chunked)),
            new Seed("POST", $"/{bucket}", "", [new("Content-Type", "multipart/form-data; boundary=XX")], Encoding.ASCII.GetBytes(form)),
            new Seed("GET", $"/{bucket}", "list-type=2&prefix=a&delimiter=%2F&max-keys=5&continuation-token=zz&encoding-type=url&fetch-owner=true&start-after=a", [], []),
            new Seed("GET", $"/{bucket}", "marker=a&max-keys=2&delimiter=x", [], []),
            new Seed("GET", $"/{bucket}", "versions&key-marker=k&version-id-marker=HEAD&max-keys=3&prefix=k", [], []),
            new Seed("GET", $"/{bucket}", "uploads&key-marker=k&upload-id-marker=u&max-uploads=3", [], []),
            new Seed("GET", $"/{bucket}/k", "partNumber=1&response-content-type=a%2Fb&response-expires=x", [new("If-Modified-Since", "Thu, 01 Jan 2026 00:00:00 GMT"), new("If-Unmodified-Since", "Thu, 01 Jan 2099 00:00:00 GMT"), new("x-amz-checksum-mode", "ENABLED")], []),
            new Seed("GET", $"/{bucket}/k", "attributes", [new("x-amz-object-attributes", "ETag,Checksum,ObjectParts,StorageClass,ObjectSize"), new("x-amz-max-parts", "2"), new("x-amz-part-number-marker", "1")], []),
            new Seed("DELETE", $"/{bucket}/gone", "", [new("x-amz-if-match-size", "3"), new("x-amz-if-match-last-modified-time", "Thu, 01 Jan 2026 00:00:00 GMT"), new("If-Match", "*")], []),
            new Seed("PUT", $"/{bucket}", "acl", [], "<AccessControlPolicy><Owner><ID>strata</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"u8.ToArray()),
            new Seed("PUT", $"/new-{bucket}", "", [], "<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>"u8.ToArray()),
            new Seed("POST", $"/{bucket}/mp", "uploads", [new("x-amz-checksum-algorithm", "CRC32"), new("x-amz-checksum-type", "FULL_OBJECT"), new("Content-Type", "a/b")], []),
            new Seed("PUT", $"/{bucket}/mp", "partNumber=2&uploadId=abc", [new("x-amz-copy-source", $"/{bucket}/k"), new("x-amz-copy-source-range", "bytes=0-1")], []),
            new Seed("PUT", $"/{bucket}/k2", "", [new("x-amz-checksum-sha256", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="), new("If-None-Match", "*"), new("x-amz-acl", "private"), new("Expires", "Thu, 01 Jan 2026 00:00:00 GMT")], "abc"u8.ToArray()),
        ];
    }

    private byte[][] RawSeeds(string bucket) =>
    [
            Encoding.ASCII.GetBytes($"GET /{bucket}/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={fx.Token}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature={new string('a', 64)} HTTP/1.1\r\nHost: h\r\n\r\n"),
            Encoding.ASCII.GetBytes($"GET /{bucket}/k HTTP/1.1\r\nHost: h\r\nDate: {DateTimeOffset.UtcNow:R}\r\nAuthorization: AWS {fx.Token}:abc=\r\n\r\n"),
    ];

    private static string MutateText(string s, Random rng) => Encoding.Latin1.GetString(Fuzz.Mutate(Encoding.Latin1.GetBytes(s), rng));

    /// <summary>Half the cases mutate the signed bytes (mostly refused by the signature check), half mutate one part and sign it again.</summary>
    private byte[] Case(Seed[] seeds, byte[][] raw, Random rng)
    {
        if (rng.Next(2) == 0)
        {
            var bytes = rng.Next(4) == 0 ? raw[rng.Next(raw.Length)] : Raw(seeds[rng.Next(seeds.Length)]);
            return Fuzz.Mutate(bytes, rng);
        }
        var s = seeds[rng.Next(seeds.Length)];
        switch (rng.Next(3))
        {
            case 0: s = s with { Body = Fuzz.Mutate(s.Body, rng) }; break;
            case 1: s = s with { Query = MutateText(s.Query, rng) }; break;
            default:
                if (s.Headers.Length == 0) goto case 0;
                var h = s.Headers.ToArray();
                var i = rng.Next(h.Length);
                h[i] = new(h[i].Key, MutateText(h[i].Value, rng));
                s = s with { Headers = h };
                break;
        }
        try
        {
            return Raw(s);
        }
        catch (Strata.S3.Errors.S3Exception)
        {
            return Raw(seeds[0]); // the test's own signer refused the mutated query
        }
    }

    [Fact]
    public async Task MutatedRequestsNeverGet500()
    {
        var bucket = ServerFixture.NewBucket();
        using (var s3 = fx.Client()) await s3.PutBucketAsync(bucket);
        var port = new Uri(fx.Endpoint).Port;
        var cases = Math.Max(50, Fuzz.Cases / 2);
        var rng = new Random(Environment.GetEnvironmentVariable("STRATA_FUZZ_SEED") is { } s ? int.Parse(s) : Random.Shared.Next());
        var seeds = Seeds(bucket);
        var raw = RawSeeds(bucket);
        // The seeds themselves pass the signature check, so that mutations of their parts reach the parsers behind it.
        foreach (var seed in seeds)
        {
            var answer = await SendAsync(port, Raw(seed));
            Assert.True(answer is not null && !answer.Contains("SignatureDoesNotMatch", StringComparison.Ordinal), $"{seed.Method} {seed.Path}?{seed.Query}: {answer}");
        }
        for (var i = 0; i < cases; i++)
        {
            var input = Case(seeds, raw, rng);
            var answer = await SendAsync(port, input);
            var what = $"request: {Fuzz.Show(input)}\nanswer: {answer}";
            if (answer is null) continue; // closed without an answer: the request was cut short or not HTTP
            var head = answer.Split("\r\n\r\n", 2);
            var status = int.Parse(head[0].AsSpan(9, 3));
            var fromGateway = head[0].Contains("x-amz-request-id", StringComparison.OrdinalIgnoreCase);
            // Kestrel answers what is not HTTP/1.x (505 for an unknown version); the gateway never fails itself.
            Assert.True(status != 500 && !(fromGateway && status >= 500 && status is not (501 or 503)), what);
            if (status >= 400 && head[0].Contains("x-amz-request-id", StringComparison.OrdinalIgnoreCase) && !input.AsSpan().StartsWith("HEAD "u8))
                Assert.True(head.Length > 1 && head[1].Contains("<Error><Code>", StringComparison.Ordinal), what);
        }
    }

    /// <summary>
    /// Sends the bytes and reads the whole answer (the request asks to close after it). A server
    /// still waiting for more (a mutated length) is told there is none by a half-close. Null if
    /// the server closed without an answer.
    /// </summary>
    private static async Task<string?> SendAsync(int port, byte[] request)
    {
        using var sock = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await sock.ConnectAsync("127.0.0.1", port, cts.Token);
        await sock.SendAsync(request, SocketFlags.None, cts.Token);
        var buf = new MemoryStream();
        var chunk = new byte[16384];
        var halfClosed = false;
        try
        {
            while (true)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
                if (!halfClosed) idle.CancelAfter(TimeSpan.FromMilliseconds(500));
                int n;
                try
                {
                    n = await sock.ReceiveAsync(chunk, SocketFlags.None, idle.Token);
                }
                catch (OperationCanceledException) when (!cts.IsCancellationRequested && !halfClosed)
                {
                    sock.Shutdown(SocketShutdown.Send);
                    halfClosed = true;
                    continue;
                }
                if (n == 0) break;
                buf.Write(chunk, 0, n);
                if (Complete(buf.ToArray(), request)) break;
            }
        }
        catch (SocketException) { }
        var text = Encoding.Latin1.GetString(buf.ToArray());
        return text.Length >= 12 ? text : null;
    }

    // A whole answer: headers and Content-Length bytes of body (none for HEAD, 204 and 304).
    private static bool Complete(byte[] answer, byte[] request)
    {
        var text = Encoding.Latin1.GetString(answer);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0) return false;
        var head = text[..end];
        if (request.AsSpan().StartsWith("HEAD "u8) || head.StartsWith("HTTP/1.1 204", StringComparison.Ordinal) || head.StartsWith("HTTP/1.1 304", StringComparison.Ordinal))
            return true;
        var m = System.Text.RegularExpressions.Regex.Match(head, @"(?im)^content-length:\s*(\d+)");
        return m.Success && answer.Length - end - 4 >= long.Parse(m.Groups[1].Value);
    }
}
