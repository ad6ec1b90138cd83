using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Strata.Core.Auth;
using Strata.S3.Auth;

namespace Strata.Micro;

/// <summary>
/// Verifying the SigV4 Authorization header of a PutObject as AWS CLI v2 sends it over plain HTTP
/// (signed hex payload hash, flexible checksum header; User-Agent, Expect, Content-Length and
/// Accept-Encoding present but unsigned). The request is signed in setup with the same SigV4
/// primitives, then checked by the real <see cref="Authenticator"/>.
/// </summary>
public class SigV4Benchmarks
{
    private const string Token = "strata_4f7d0c2b9e8a4b1d8c3e6f5a7b9d0e1f2a3b4c5d";
    private const string AmzDate = "20261204T023000Z";
    private const string Path = "/master.images/data/2026/12/04/part-00042.csv";

    private Authenticator _auth = null!;
    private DefaultHttpContext _ctx = null!;
    private RequestView _view = null!;
    private string _authorization = "";

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [GlobalSetup]
    public void Setup()
    {
        var body = new byte[1 << 20];
        new Random(12).NextBytes(body);
        var principal = new Principal("alice", false, Token);
        var access = Stub.Create<IAccessStore>(new Dictionary<string, Func<object?[], object?>>
        {
            [nameof(IAccessStore.FindTokenAsync)] = a => Task.FromResult((string)a[0]! == Token ? principal : null),
        });
        _auth = new Authenticator(access, new FixedClock(new DateTimeOffset(2026, 12, 4, 2, 30, 5, TimeSpan.Zero)));

        _ctx = new DefaultHttpContext();
        var req = _ctx.Request;
        req.Method = "PUT";
        req.Path = Path;
        _ctx.Features.Get<IHttpRequestFeature>()!.RawTarget = Path;
        req.Headers.Host = "127.0.0.1:30600";
        req.Headers.AcceptEncoding = "identity";
        req.Headers.UserAgent = "aws-cli/2.27.49 md/awscrt#0.26.1 ua/2.1 os/linux#6.8.0-60-generic md/arch#x86_64 lang/python#3.13.4 md/pyimpl#CPython m/G,Z,b cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#s3.cp";
        req.Headers.ContentType = "text/csv";
        req.Headers["x-amz-checksum-crc64nvme"] = "n5kLQJeplLQ=";
        req.Headers["x-amz-sdk-checksum-algorithm"] = "CRC64NVME";
        req.Headers["X-Amz-Date"] = AmzDate;
        req.Headers["X-Amz-Content-SHA256"] = Convert.ToHexStringLower(SHA256.HashData(body));
        req.Headers.Expect = "100-continue";
        req.Headers.ContentLength = body.Length;

        // Sign as a client would: the canonical request over the signed headers, with a placeholder signature parsed first.
        var header = "AWS4-HMAC-SHA256 Credential=" + Token + "/20261204/us-east-1/s3/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-checksum-crc64nvme;x-amz-content-sha256;x-amz-date;x-amz-sdk-checksum-algorithm, Signature=";
        req.Headers.Authorization = header + new string('0', 64);
        var view = Authenticator.View(_ctx);
        var c = SigV4.ParseHeader(req.Headers.Authorization!, view);
        var signature = SigV4.Signature(SigV4.SigningKey(Token, c), SigV4.StringToSign(c, SigV4.CanonicalRequest(view, c, SigV4.PayloadHash(view, c))));
        _authorization = header + signature;
        req.Headers.Authorization = _authorization;
        _view = Authenticator.View(_ctx);

        if (AuthenticateHttpContext().GetAwaiter().GetResult().User != "alice" || !VerifyRequestView())
            throw new InvalidOperationException("the signed request does not verify");
    }

    /// <summary>The gateway's whole check: request view from the HttpContext, parse, key lookup, canonical request, HMAC chain, compare.</summary>
    [Benchmark(Baseline = true)]
    public Task<Principal> AuthenticateHttpContext() => _auth.AuthenticateAsync(_ctx, CancellationToken.None);

    /// <summary>The SigV4 arithmetic alone on a prepared RequestView: parse, canonical request, SHA-256, key derivation, HMAC.</summary>
    [Benchmark]
    public bool VerifyRequestView()
    {
        var c = SigV4.ParseHeader(_authorization, _view);
        var key = SigV4.SigningKey(Token, c);
        var expected = SigV4.Signature(key, SigV4.StringToSign(c, SigV4.CanonicalRequest(_view, c, SigV4.PayloadHash(_view, c))));
        return expected == c.Signature;
    }
}
