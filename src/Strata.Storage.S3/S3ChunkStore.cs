using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Storage.S3;

/// <summary>
/// Chunks as objects <c>PREFIX/chunks/&lt;hash&gt;</c> in an S3-compatible bucket. A chunk is
/// immutable and named by its content, so it is written once (If-None-Match: *, where the store
/// supports it) and read by range. Bodies are sent as plain signed payloads: some stores (Ceph
/// radosgw 16) refuse the SDK's default streaming-with-trailer encoding. The SDK retries 5xx,
/// throttling and timeouts with backoff; a semaphore bounds the requests in flight.
/// </summary>
public sealed class S3ChunkStore : IChunkStore, IDisposable
{
    private readonly AmazonS3Client _s3;
    private readonly S3ChunkStoreOptions _o;
    private readonly SemaphoreSlim _slots;
    // Cleared when the store answers 501 to a conditional PUT: then a HEAD before each PUT is what keeps writes to one.
    private volatile bool _conditionalPut = true;

    private S3ChunkStore(S3ChunkStoreOptions o)
    {
        _o = o;
        _slots = new SemaphoreSlim(o.MaxConcurrency, o.MaxConcurrency);
        var config = new AmazonS3Config
        {
            ForcePathStyle = o.PathStyle,
            AuthenticationRegion = o.Region,
            MaxErrorRetry = 6,
            RetryMode = RequestRetryMode.Standard,
            Timeout = TimeSpan.FromSeconds(60),
            MaxConnectionsPerServer = o.MaxConcurrency,
            // Chunks are verified by their BLAKE3 name; the payload SHA-256 of the signature covers the transfer.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (o.Endpoint is not null) config.ServiceURL = o.Endpoint;
        else config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(o.Region);
        _s3 = new AmazonS3Client(new BasicAWSCredentials(o.AccessKey, o.SecretKey), config);
    }

    /// <summary>Lists one key: unlike a HEAD of a chunk, it fails when the bucket is gone or the keys may not read it.</summary>
    public Task ProbeAsync(CancellationToken ct) =>
        _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _o.Bucket, Prefix = _o.Prefix, MaxKeys = 1 }, ct);

    /// <summary>Connects and checks that the bucket exists and the credentials may list it.</summary>
    public static async Task<S3ChunkStore> OpenAsync(S3ChunkStoreOptions o, CancellationToken ct)
    {
        var store = new S3ChunkStore(o);
        try
        {
            using var probe = CancellationTokenSource.CreateLinkedTokenSource(ct);
            probe.CancelAfter(TimeSpan.FromSeconds(20));
            await store.ProbeAsync(probe.Token).ConfigureAwait(false);
            return store;
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException or OperationCanceledException or IOException && !ct.IsCancellationRequested)
        {
            store.Dispose();
            throw new StorageConfigurationException(Describe(o, e), e);
        }
    }

    private static string Describe(S3ChunkStoreOptions o, Exception e) => e switch
    {
        AmazonS3Exception { ErrorCode: "NoSuchBucket" } => $"chunk store {o}: bucket '{o.Bucket}' does not exist",
        AmazonS3Exception { ErrorCode: "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied" } s =>
            $"chunk store {o}: the credentials were refused ({s.ErrorCode})",
        AmazonServiceException { StatusCode: HttpStatusCode.Forbidden } => $"chunk store {o}: the credentials were refused (403)",
        AmazonServiceException s => $"chunk store {o}: {s.ErrorCode ?? ((int)s.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)} {FirstLine(s.Message)}",
        OperationCanceledException => $"chunk store {o}: no answer within 20 s",
        _ => $"chunk store {o}: cannot connect ({FirstLine(Innermost(e).Message)})",
    };

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    private string KeyOf(Hash id) => $"{_o.Prefix}chunks/{id}";

    public int WriteConcurrency => Math.Min(8, _o.MaxConcurrency);

    // LastModified is in whole seconds (and may be rounded either way): one more for safety.
    public TimeSpan TouchResolution => TimeSpan.FromSeconds(2);
    public int ReadAhead => 2;

    public async Task<ChunkStat?> StatAsync(Hash id, CancellationToken ct)
    {
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var head = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _o.Bucket, Key = KeyOf(id) }, ct).ConfigureAwait(false);
            return new ChunkStat(id, head.ContentLength, Utc(head.LastModified));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        finally
        {
            _slots.Release();
        }
    }

    // The SDK gives times as DateTime in local time (or null when the store sent none).
    private static DateTimeOffset Utc(DateTime? t) => t is { } v ? new DateTimeOffset(v.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.UnixEpoch;

    /// <summary>
    /// Copies the chunk onto itself, which sets its LastModified to now. S3 refuses a self-copy
    /// that changes nothing, so the copy replaces the metadata with the touch time.
    /// </summary>
    public async Task<bool> TouchAsync(Hash id, CancellationToken ct)
    {
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var key = KeyOf(id);
            var request = new CopyObjectRequest
            {
                SourceBucket = _o.Bucket,
                SourceKey = key,
                DestinationBucket = _o.Bucket,
                DestinationKey = key,
                MetadataDirective = S3MetadataDirective.REPLACE,
                ContentType = "application/octet-stream",
            };
            request.Metadata.Add("x-amz-meta-touched", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            await _s3.CopyObjectAsync(request, ct).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound || e.ErrorCode == "NoSuchKey")
        {
            return false;
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Lists <c>PREFIX/chunks/</c> page by page; S3 lists keys in byte order, and lowercase hex names sort as their hashes.</summary>
    public async IAsyncEnumerable<ChunkStat> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var prefix = $"{_o.Prefix}chunks/";
        string? token = null;
        do
        {
            ListObjectsV2Response page;
            // A slot per page, not held while the caller consumes it.
            await _slots.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                page = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _o.Bucket, Prefix = prefix, ContinuationToken = token }, ct)
                    .ConfigureAwait(false);
            }
            finally
            {
                _slots.Release();
            }
            foreach (var o in page.S3Objects ?? [])
            {
                var name = o.Key.AsSpan(prefix.Length);
                if (name.Length != 2 * Hash.Size || !IsLowerHex(name)) continue; // not a chunk
                yield return new ChunkStat(Hash.Parse(name.ToString()), o.Size ?? 0, Utc(o.LastModified));
            }
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
    }

    private static bool IsLowerHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        return true;
    }

    /// <summary>DeleteObjects in batches of 1000 (S3's limit), quiet: only failures are reported, and a missing key is not one.</summary>
    public async Task DeleteAsync(IReadOnlyList<Hash> ids, CancellationToken ct)
    {
        foreach (var batch in ids.Chunk(1000))
        {
            var request = new DeleteObjectsRequest { BucketName = _o.Bucket, Quiet = true, Objects = [.. batch.Select(id => new KeyVersion { Key = KeyOf(id) })] };
            List<DeleteError>? errors;
            await _slots.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                errors = (await _s3.DeleteObjectsAsync(request, ct).ConfigureAwait(false)).DeleteErrors;
            }
            catch (DeleteObjectsException e)
            {
                errors = e.Response?.DeleteErrors;
            }
            finally
            {
                _slots.Release();
            }
            var failed = errors?.Where(e => e.Code != "NoSuchKey").ToList() ?? [];
            if (failed.Count > 0)
                throw new IOException($"chunk store {_o}: {failed.Count} of {batch.Length} chunks could not be deleted (first: {failed[0].Key}: {failed[0].Code} {failed[0].Message})");
        }
    }

    public async Task PutAsync(Hash id, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var request = new PutObjectRequest
                {
                    BucketName = _o.Bucket,
                    Key = KeyOf(id),
                    InputStream = new ReadOnlyMemoryStream(data),
                    AutoCloseStream = true,
                    UseChunkEncoding = false,
                    ContentType = "application/octet-stream",
                };
                if (_conditionalPut) request.IfNoneMatch = "*";
                try
                {
                    await _s3.PutObjectAsync(request, ct).ConfigureAwait(false);
                    return;
                }
                catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict && _conditionalPut)
                {
                    return; // already there: same name, same bytes
                }
                catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotImplemented && _conditionalPut)
                {
                    _conditionalPut = false;
                }
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    public async Task<Stream> OpenAsync(Hash id, long offset, CancellationToken ct)
    {
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var request = new GetObjectRequest { BucketName = _o.Bucket, Key = KeyOf(id) };
            if (offset > 0) request.ByteRange = new ByteRange($"bytes={offset}-");
            var response = await _s3.GetObjectAsync(request, ct).ConfigureAwait(false);
            return new ResponseStream(response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new StrataException(StoreError.Corrupt, $"chunk {id} is missing from {_o}");
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose()
    {
        _s3.Dispose();
        _slots.Dispose();
    }

    /// <summary>The body of a GET; disposing it releases the response (and its connection).</summary>
    private sealed class ResponseStream(GetObjectResponse response) : Stream
    {
        private readonly Stream _inner = response.ResponseStream;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => _inner.ReadAsync(buffer, ct);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => _inner.ReadAsync(buffer, offset, count, ct);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) response.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>A seekable read-only view of a chunk in memory, so the SDK can sign and retry it without a copy.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> data) : Stream
    {
        private int _pos;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _pos; set => _pos = (int)Math.Clamp(value, 0, data.Length); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, data.Length - _pos);
            data.Span.Slice(_pos, n).CopyTo(buffer);
            _pos += n;
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ValueTask.FromResult(Read(buffer.Span));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.FromResult(Read(buffer.AsSpan(offset, count)));
        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _pos + offset,
            _ => data.Length + offset,
        };
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
