using System.Globalization;
using System.Security.Cryptography;
using Strata.Core.Chunking;
using Strata.S3.Errors;
using Strata.S3.Streaming;

namespace Strata.S3.Operations;

/// <summary>What a write request's body became: its stored content and the checksums verified on the way.</summary>
public sealed record ReceivedBody(ContentInfo Content, List<KeyValuePair<string, string>> Checksums);

/// <summary>
/// Receives a PutObject/UploadPart body: decodes aws-chunked while streaming, stores it in
/// chunks, and verifies Content-MD5, x-amz-content-sha256 and every x-amz-checksum-* (header or
/// trailer). A mismatch throws before anything is committed; the chunks already written are
/// unreferenced and left to garbage collection.
/// </summary>
public static class RequestBody
{
    /// <param name="alsoCompute">A checksum to compute even if the client sent none (a multipart upload's algorithm).</param>
    public static async Task<ReceivedBody> ReceiveAsync(S3Request r, ChecksumAlgorithm? alsoCompute = null, bool inline = false)
    {
        var md5 = ParseContentMd5(r.Header("Content-MD5"));
        var sha = r.Header("x-amz-content-sha256");
        // The payload mode says whether the body is aws-chunked; Content-Encoding alone does not
        // (a client may label a plain body "aws-chunked").
        var chunked = sha?.StartsWith("STREAMING-", StringComparison.Ordinal) == true;

        var algorithms = new HashSet<ChecksumAlgorithm>();
        if (alsoCompute is { } extra) algorithms.Add(extra);
        var expected = new Dictionary<ChecksumAlgorithm, string>();
        foreach (var (name, value) in r.Http.Request.Headers)
        {
            if (ChecksumAlgorithms.FromHeaderName(name) is { } alg)
            {
                algorithms.Add(alg);
                expected[alg] = value.ToString();
            }
        }
        if (r.Header("x-amz-trailer") is { } trailer)
        {
            foreach (var t in trailer.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                algorithms.Add(ChecksumAlgorithms.FromHeaderName(t)
                    ?? throw new S3Exception(S3ErrorCode.InvalidRequest, $"unsupported trailer {t}"));
        }
        if ((r.Header("x-amz-sdk-checksum-algorithm") ?? r.Header("x-amz-checksum-algorithm")) is { } requested)
            algorithms.Add(ChecksumAlgorithms.Parse(requested)
                ?? throw new S3Exception(S3ErrorCode.InvalidRequest, $"unsupported checksum algorithm {requested}"));

        Stream body = r.Http.Request.Body;
        AwsChunkedStream? decoder = null;
        if (chunked)
        {
            long? decodedLength = null;
            if (r.Header("x-amz-decoded-content-length") is { } dl)
            {
                if (!long.TryParse(dl, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    throw new S3Exception(S3ErrorCode.InvalidArgument, "x-amz-decoded-content-length is not a number");
                decodedLength = n;
            }
            // With auth on, the authenticator left the signer of a signed stream: every chunk is checked.
            var signer = r.Http.Items.TryGetValue(Auth.Authenticator.ChunkSignerKey, out var s) ? s as IChunkSigner : null;
            body = decoder = new AwsChunkedStream(body, decodedLength, signer);
        }
        var hashing = new ChecksumStream(body, algorithms);
        var content = await r.Store.Content.WriteAsync(hashing, r.Ct, inline).ConfigureAwait(false);

        if (md5 is not null && !CryptographicOperations.FixedTimeEquals(md5, content.Md5))
            throw new S3Exception(S3ErrorCode.BadDigest, "The Content-MD5 you specified did not match what we received.");
        if (decoder is not null)
            foreach (var (name, value) in decoder.Trailers)
                if (ChecksumAlgorithms.FromHeaderName(name) is { } alg) expected[alg] = value;
        var stored = new List<KeyValuePair<string, string>>();
        foreach (var alg in algorithms)
        {
            var actual = hashing.GetBase64(alg);
            if (expected.TryGetValue(alg, out var want))
            {
                if (want != actual)
                    throw new S3Exception(S3ErrorCode.BadDigest, $"The {alg} you specified did not match the calculated checksum.");
            }
            stored.Add(new(alg.ToString(), actual));
        }
        return new ReceivedBody(content, stored);
    }

    private static byte[]? ParseContentMd5(string? header)
    {
        if (header is null) return null;
        var buf = new byte[18];
        if (!Convert.TryFromBase64String(header.Trim(), buf, out var n) || n != 16)
            throw new S3Exception(S3ErrorCode.InvalidDigest);
        return buf[..16];
    }
}
