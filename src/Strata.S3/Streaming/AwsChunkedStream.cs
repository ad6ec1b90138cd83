using System.Buffers;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using Strata.S3.Errors;

namespace Strata.S3.Streaming;

/// <summary>
/// Read-only stream that decodes an aws-chunked request body as it is read, in bounded memory:
/// <c>&lt;hex-size&gt;[;chunk-signature=&lt;sig&gt;]\r\n&lt;data&gt;\r\n</c> ... a final zero-size chunk, then
/// optional trailer lines and a blank line. Covers STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] and
/// STREAMING-UNSIGNED-PAYLOAD-TRAILER.
/// </summary>
/// <remarks>
/// Chunk data reaches the consumer before that chunk's signature can be checked (the signature
/// covers the whole chunk), so a bad signature or a short body surfaces as an exception on a later
/// read. Consumers must read to end of stream (a read returning 0) and commit nothing before that.
/// </remarks>
public sealed class AwsChunkedStream : ReadOnlyStream
{
    /// <summary>Longest chunk header or trailer line accepted, CRLF excluded.</summary>
    public const int MaxLineLength = 4096;

    /// <summary>Largest chunk accepted: S3's single-PUT limit. Sizes are only framing, never buffered.</summary>
    public const long MaxChunkSize = 5L * 1024 * 1024 * 1024;

    /// <summary>Most trailer lines accepted (the signature line aside).</summary>
    public const int MaxTrailers = 32;

    private const string TrailerSignatureName = "x-amz-trailer-signature";

    // Big enough for a longest line plus its CRLF after compaction, so line reading never runs out of room.
    private const int BufferSize = 16 * 1024;

    private static readonly byte[] EmptySha256 = SHA256.HashData([]);

    private readonly Stream _inner;
    private readonly long? _decodedLength;
    private readonly IChunkSigner? _signer;
    private readonly bool _leaveOpen;
    private readonly byte[] _buf = new byte[BufferSize];
    private readonly byte[] _hash = new byte[32];
    private readonly IncrementalHash? _chunkHash;
    private readonly List<KeyValuePair<string, string>> _trailerLines = [];

    private int _start;
    private int _end;
    private bool _innerEof;
    private State _state = State.ChunkHeader;
    private long _chunkRemaining;
    private string? _chunkSignature;
    private string? _previousSignature;
    private string? _trailerSignature;
    private long _decoded;
    private Dictionary<string, string>? _trailers;
    private ExceptionDispatchInfo? _failure;
    private bool _disposed;

    private enum State { ChunkHeader, Data, DataEnd, Trailers, Done }

    /// <param name="inner">The raw request body.</param>
    /// <param name="decodedContentLength">x-amz-decoded-content-length if the client sent one; the decoded size must equal it.</param>
    /// <param name="signer">Verifies chunk and trailer signatures when given; null for unsigned payloads (signatures are then ignored).</param>
    /// <param name="leaveOpen">Leave <paramref name="inner"/> open on dispose.</param>
    public AwsChunkedStream(Stream inner, long? decodedContentLength = null, IChunkSigner? signer = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!inner.CanRead) throw new ArgumentException("inner stream must be readable", nameof(inner));
        if (decodedContentLength < 0) throw new ArgumentOutOfRangeException(nameof(decodedContentLength));
        _inner = inner;
        _decodedLength = decodedContentLength;
        _signer = signer;
        _leaveOpen = leaveOpen;
        if (signer is not null)
        {
            _chunkHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            _previousSignature = signer.SeedSignature;
        }
    }

    /// <summary>Decoded bytes handed to the consumer so far.</summary>
    public long DecodedBytes => _decoded;

    /// <summary>True once the final chunk and trailers were read and verified.</summary>
    public bool IsCompleted => _state == State.Done;

    /// <summary>Trailer headers by lower-case name (x-amz-trailer-signature excluded). Throws before end of stream.</summary>
    public IReadOnlyDictionary<string, string> Trailers => _trailers
        ?? throw new InvalidOperationException("trailers are only known once the body has been read to its end");

    public override bool CanRead => !_disposed;
    protected override long BytesSoFar => _decoded;

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        // With useAsync false nothing awaits a real asynchronous operation, so this completes synchronously.
        return ReadCoreAsync(buffer.AsMemory(offset, count), useAsync: false, CancellationToken.None).GetAwaiter().GetResult();
    }

    public override int Read(Span<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var n = Read(rented, 0, buffer.Length);
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadCoreAsync(buffer.AsMemory(offset, count), useAsync: true, cancellationToken).AsTask();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReadCoreAsync(buffer, useAsync: true, cancellationToken);

    private async ValueTask<int> ReadCoreAsync(Memory<byte> destination, bool useAsync, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Once decoding failed the position in the framing is unknown; keep failing the same way.
        _failure?.Throw();
        if (destination.IsEmpty) return 0;
        try
        {
            while (true)
            {
                switch (_state)
                {
                    case State.Done:
                        return 0;

                    case State.ChunkHeader:
                    {
                        var (line, terminated) = await ReadLineAsync(useAsync, ct).ConfigureAwait(false);
                        if (line is null || !terminated)
                            throw Incomplete("the body ended before the final zero-length chunk");
                        ParseChunkHeader(line);
                        break;
                    }

                    case State.Data:
                        if (_chunkRemaining > 0)
                            return await ReadDataAsync(destination, useAsync, ct).ConfigureAwait(false);
                        _state = State.DataEnd;
                        break;

                    case State.DataEnd:
                    {
                        var (line, terminated) = await ReadLineAsync(useAsync, ct).ConfigureAwait(false);
                        if (!string.IsNullOrEmpty(line))
                            throw Invalid("chunk data is longer than its declared size (no CRLF after the chunk)");
                        if (!terminated) throw Incomplete("the body ended after a chunk's data, before its CRLF");
                        _chunkHash?.GetHashAndReset(_hash);
                        VerifyChunkSignature(_hash);
                        _state = State.ChunkHeader;
                        break;
                    }

                    case State.Trailers:
                    {
                        var (line, terminated) = await ReadLineAsync(useAsync, ct).ConfigureAwait(false);
                        // Real clients sometimes end the body without the closing blank line (or with a
                        // last trailer line lacking CRLF); end of input after the final chunk is a clean end.
                        if (string.IsNullOrEmpty(line))
                        {
                            Finish();
                            return 0;
                        }
                        AddTrailer(line);
                        if (!terminated)
                        {
                            Finish();
                            return 0;
                        }
                        break;
                    }
                }
            }
        }
        catch (Exception e)
        {
            _failure = ExceptionDispatchInfo.Capture(e);
            throw;
        }
    }

    private async ValueTask<int> ReadDataAsync(Memory<byte> destination, bool useAsync, CancellationToken ct)
    {
        var want = (int)Math.Min(destination.Length, _chunkRemaining);
        int n;
        if (_start < _end)
        {
            n = Math.Min(want, _end - _start);
            _buf.AsSpan(_start, n).CopyTo(destination.Span);
            _start += n;
        }
        else if (want >= _buf.Length)
        {
            // Large reads go straight into the caller's buffer: no copy through ours.
            n = useAsync
                ? await _inner.ReadAsync(destination[..want], ct).ConfigureAwait(false)
                : _inner.Read(destination.Span[..want]);
            if (n == 0)
            {
                _innerEof = true;
                throw Incomplete("the body ended inside a chunk's data");
            }
        }
        else
        {
            // Small reads go through our buffer, so tiny consumer reads don't become tiny socket reads.
            if (!await FillAsync(useAsync, ct).ConfigureAwait(false))
                throw Incomplete("the body ended inside a chunk's data");
            n = Math.Min(want, _end - _start);
            _buf.AsSpan(_start, n).CopyTo(destination.Span);
            _start += n;
        }
        _chunkHash?.AppendData(destination.Span[..n]);
        _chunkRemaining -= n;
        _decoded += n;
        return n;
    }

    /// <summary>
    /// Next line without its line ending (CRLF, or a bare LF for leniency). Terminated is false when
    /// input ended first; Line is then the partial line, or null if nothing was left.
    /// </summary>
    private async ValueTask<(string? Line, bool Terminated)> ReadLineAsync(bool useAsync, CancellationToken ct)
    {
        var scanned = 0;
        while (true)
        {
            var idx = _buf.AsSpan(_start + scanned, _end - _start - scanned).IndexOf((byte)'\n');
            if (idx >= 0)
            {
                var lf = _start + scanned + idx;
                var len = lf - _start;
                if (len > 0 && _buf[lf - 1] == (byte)'\r') len--;
                if (len > MaxLineLength) throw LineTooLong();
                var line = Encoding.Latin1.GetString(_buf, _start, len);
                _start = lf + 1;
                return (line, true);
            }
            scanned = _end - _start;
            // Without an LF yet, even a CR as the last byte would leave the line over the limit.
            if (scanned > MaxLineLength + 1) throw LineTooLong();
            if (!await FillAsync(useAsync, ct).ConfigureAwait(false))
            {
                if (_start == _end) return (null, false);
                var len = _end - _start;
                if (_buf[_end - 1] == (byte)'\r') len--;
                var partial = Encoding.Latin1.GetString(_buf, _start, len);
                _start = _end;
                return (partial, false);
            }
        }
    }

    /// <summary>Reads more input after the buffered bytes; false at end of input.</summary>
    private async ValueTask<bool> FillAsync(bool useAsync, CancellationToken ct)
    {
        if (_innerEof) return false;
        if (_start > 0)
        {
            _buf.AsSpan(_start, _end - _start).CopyTo(_buf);
            _end -= _start;
            _start = 0;
        }
        var free = _buf.AsMemory(_end);
        var n = useAsync
            ? await _inner.ReadAsync(free, ct).ConfigureAwait(false)
            : _inner.Read(free.Span);
        if (n == 0)
        {
            _innerEof = true;
            return false;
        }
        _end += n;
        return true;
    }

    private void ParseChunkHeader(string line)
    {
        var semi = line.IndexOf(';');
        var sizeText = (semi < 0 ? line : line[..semi]).Trim();
        // At most 10 hex digits keeps the value far from overflow; MaxChunkSize bounds it anyway.
        if (sizeText.Length is 0 or > 10 || !sizeText.All(char.IsAsciiHexDigit))
            throw Invalid($"malformed aws-chunked chunk header '{Shorten(line)}'");
        var size = long.Parse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        if (size > MaxChunkSize)
            throw Invalid($"aws-chunked chunk of {size} bytes exceeds the {MaxChunkSize}-byte limit");

        _chunkSignature = null;
        if (semi >= 0)
        {
            foreach (var ext in line[(semi + 1)..].Split(';'))
            {
                var eq = ext.IndexOf('=');
                var name = (eq < 0 ? ext : ext[..eq]).Trim();
                if (name.Equals("chunk-signature", StringComparison.OrdinalIgnoreCase))
                    _chunkSignature = eq < 0 ? "" : ext[(eq + 1)..].Trim();
            }
        }

        if (_decodedLength is { } limit && size > limit - _decoded)
            throw Invalid($"the aws-chunked body carries more than the {limit} bytes given in x-amz-decoded-content-length");

        if (size > 0)
        {
            _chunkRemaining = size;
            _state = State.Data;
            return;
        }

        VerifyChunkSignature(EmptySha256);
        if (_decodedLength is { } expected && _decoded != expected)
            throw Incomplete($"the aws-chunked body carried {_decoded} bytes but x-amz-decoded-content-length is {expected}");
        _state = State.Trailers;
    }

    private void VerifyChunkSignature(ReadOnlySpan<byte> chunkSha256)
    {
        if (_signer is null) return;
        if (string.IsNullOrEmpty(_chunkSignature))
            throw new S3Exception(S3ErrorCode.SignatureDoesNotMatch, "an aws-chunked chunk carries no chunk-signature");
        var expected = _signer.GetChunkSignature(_previousSignature!, chunkSha256);
        if (!SignaturesEqual(expected, _chunkSignature))
            throw new S3Exception(S3ErrorCode.SignatureDoesNotMatch, "an aws-chunked chunk signature does not match its data");
        _previousSignature = expected;
    }

    private void AddTrailer(string line)
    {
        var colon = line.IndexOf(':');
        if (colon <= 0) throw Invalid($"malformed trailer line '{Shorten(line)}'");
        var name = line[..colon].Trim().ToLowerInvariant();
        var value = line[(colon + 1)..].Trim();
        if (name.Length == 0) throw Invalid($"malformed trailer line '{Shorten(line)}'");
        if (name == TrailerSignatureName)
        {
            if (_trailerSignature is not null) throw Invalid("x-amz-trailer-signature appears twice");
            _trailerSignature = value;
            return;
        }
        if (_trailerLines.Count >= MaxTrailers) throw Invalid($"more than {MaxTrailers} trailers");
        if (_trailerLines.Exists(t => t.Key == name)) throw Invalid($"trailer {name} appears twice");
        _trailerLines.Add(new(name, value));
    }

    private void Finish()
    {
        // Without trailers nothing needs signing (STREAMING-AWS4-HMAC-SHA256-PAYLOAD); with any, a
        // signer demands a valid trailer signature so no trailer can be added in transit.
        if (_signer is not null && (_trailerLines.Count > 0 || _trailerSignature is not null))
        {
            if (string.IsNullOrEmpty(_trailerSignature))
                throw new S3Exception(S3ErrorCode.SignatureDoesNotMatch, "the trailers carry no x-amz-trailer-signature");
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            // Latin-1 turns the lines back into the bytes received (names lower-cased, as AWS canonicalizes them).
            foreach (var (name, value) in _trailerLines)
                sha.AppendData(Encoding.Latin1.GetBytes(name + ":" + value + "\n"));
            sha.GetHashAndReset(_hash);
            var expected = _signer.GetTrailerSignature(_previousSignature!, _hash);
            if (!SignaturesEqual(expected, _trailerSignature))
                throw new S3Exception(S3ErrorCode.SignatureDoesNotMatch, "the x-amz-trailer-signature does not match the trailers");
        }
        _trailers = new Dictionary<string, string>(_trailerLines, StringComparer.Ordinal);
        _state = State.Done;
    }

    private static bool SignaturesEqual(string expected, string provided)
    {
        if (expected.Length != provided.Length) return false;
        // Constant time, so response timing reveals nothing about how much of a guess was right.
        return CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(expected.ToLowerInvariant()),
            Encoding.ASCII.GetBytes(provided.ToLowerInvariant()));
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "...";

    private static S3Exception Incomplete(string message) => new(S3ErrorCode.IncompleteBody, message);

    private static S3Exception Invalid(string message) => new(S3ErrorCode.InvalidRequest, message);

    private static S3Exception LineTooLong() =>
        Invalid($"an aws-chunked header or trailer line exceeds {MaxLineLength} bytes");


    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _chunkHash?.Dispose();
            if (!_leaveOpen) _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
