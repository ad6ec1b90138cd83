using System.Security.Cryptography;
using System.Text;

namespace Strata.S3.Streaming;

/// <summary>
/// Computes the signatures an aws-chunked body must carry. The decoder hashes each chunk while
/// streaming and asks for the signature it expects; signatures are lower-case hex and chain, each
/// one covering the previous.
/// </summary>
public interface IChunkSigner
{
    /// <summary>The request's own (seed) signature, which the first chunk's signature chains from.</summary>
    string SeedSignature { get; }

    /// <summary>The expected signature of a chunk whose data hashes to <paramref name="chunkSha256"/> (32 bytes).</summary>
    string GetChunkSignature(string previousSignature, ReadOnlySpan<byte> chunkSha256);

    /// <summary>The expected x-amz-trailer-signature, given the SHA-256 of the canonical trailer lines.</summary>
    string GetTrailerSignature(string previousSignature, ReadOnlySpan<byte> trailerSha256);
}

/// <summary>SigV4 streaming signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]).</summary>
public sealed class SigV4ChunkSigner : IChunkSigner
{
    /// <summary>Hex SHA-256 of the empty string: the unused "headers" hash in every chunk's string to sign.</summary>
    public const string EmptySha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private readonly byte[] _signingKey;
    private readonly string _amzDate;
    private readonly string _scope;

    /// <param name="signingKey">The derived SigV4 key (see <see cref="DeriveSigningKey"/>).</param>
    /// <param name="amzDate">The request's x-amz-date, e.g. 20130524T000000Z.</param>
    /// <param name="scope">The credential scope, e.g. 20130524/us-east-1/s3/aws4_request.</param>
    /// <param name="seedSignature">The signature from the request's Authorization header.</param>
    public SigV4ChunkSigner(byte[] signingKey, string amzDate, string scope, string seedSignature)
    {
        ArgumentNullException.ThrowIfNull(signingKey);
        ArgumentException.ThrowIfNullOrEmpty(amzDate);
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentException.ThrowIfNullOrEmpty(seedSignature);
        _signingKey = signingKey;
        _amzDate = amzDate;
        _scope = scope;
        SeedSignature = seedSignature;
    }

    public string SeedSignature { get; }

    public string GetChunkSignature(string previousSignature, ReadOnlySpan<byte> chunkSha256) =>
        Sign("AWS4-HMAC-SHA256-PAYLOAD\n" + _amzDate + "\n" + _scope + "\n" + previousSignature + "\n"
            + EmptySha256Hex + "\n" + Convert.ToHexStringLower(chunkSha256));

    public string GetTrailerSignature(string previousSignature, ReadOnlySpan<byte> trailerSha256) =>
        Sign("AWS4-HMAC-SHA256-TRAILER\n" + _amzDate + "\n" + _scope + "\n" + previousSignature + "\n"
            + Convert.ToHexStringLower(trailerSha256));

    private string Sign(string stringToSign) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_signingKey, Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>The SigV4 signing key: HMAC chain of "AWS4"+secret, date (yyyyMMdd), region, service, "aws4_request".</summary>
    public static byte[] DeriveSigningKey(string secretAccessKey, string date, string region, string service)
    {
        ArgumentNullException.ThrowIfNull(secretAccessKey);
        ArgumentNullException.ThrowIfNull(date);
        ArgumentNullException.ThrowIfNull(region);
        ArgumentNullException.ThrowIfNull(service);
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }
}
