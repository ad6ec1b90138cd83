using System.Security.Cryptography;

namespace Strata.S3.Streaming;

/// <summary>
/// Read-only pass-through that hashes what the consumer reads: optionally MD5, plus any set of
/// S3 checksums. Results are available once the inner stream has reported end of stream, so a
/// digest can never describe a body that was only partly read.
/// </summary>
public sealed class ChecksumStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly IncrementalHash? _md5;
    // Indexed by (int)ChecksumAlgorithm; a null slot means the algorithm was not requested.
    private readonly IncrementalChecksum?[] _checksums = new IncrementalChecksum?[ChecksumAlgorithms.All.Count];
    private readonly string?[] _results = new string?[ChecksumAlgorithms.All.Count];
    private byte[]? _md5Result;
    private bool _disposed;

    public ChecksumStream(Stream inner, IEnumerable<ChecksumAlgorithm> algorithms, bool computeMd5 = false, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(algorithms);
        if (!inner.CanRead) throw new ArgumentException("inner stream must be readable", nameof(inner));
        _inner = inner;
        _leaveOpen = leaveOpen;
        foreach (var a in algorithms)
            _checksums[(int)a] ??= ChecksumAlgorithms.Create(a);
        if (computeMd5) _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        Algorithms = [.. _checksums.Where(c => c is not null).Select(c => c!.Algorithm)];
    }

    /// <summary>The checksums being computed (MD5 aside).</summary>
    public IReadOnlyList<ChecksumAlgorithm> Algorithms { get; }

    /// <summary>Bytes handed to the consumer so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>True once the inner stream has reported end of stream; the digests are final.</summary>
    public bool IsCompleted { get; private set; }

    /// <summary>MD5 of the whole body; null if MD5 was not requested. Throws before end of stream.</summary>
    public byte[]? Md5
    {
        get
        {
            if (_md5 is null) return null;
            EnsureCompleted();
            return _md5Result;
        }
    }

    /// <summary>The base64 checksum of the whole body. Throws before end of stream or for an algorithm not requested.</summary>
    public string GetBase64(ChecksumAlgorithm algorithm)
    {
        EnsureCompleted();
        return _results[(int)algorithm]
            ?? throw new InvalidOperationException($"{ChecksumAlgorithms.Name(algorithm)} was not requested from this ChecksumStream");
    }

    public override bool CanRead => !_disposed;
    protected override long BytesSoFar => BytesRead;

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var n = _inner.Read(buffer);
        Observe(buffer[..n], buffer.Length);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Observe(buffer.Span[..n], buffer.Length);
        return n;
    }

    private void Observe(ReadOnlySpan<byte> data, int requested)
    {
        if (data.Length > 0)
        {
            _md5?.AppendData(data);
            foreach (var c in _checksums) c?.Append(data);
            BytesRead += data.Length;
        }
        // A zero-length request also returns 0; only a 0 for a real request means end of stream.
        else if (requested > 0 && !IsCompleted)
        {
            _md5Result = _md5?.GetHashAndReset();
            foreach (var c in _checksums)
                if (c is not null) _results[(int)c.Algorithm] = c.GetBase64();
            IsCompleted = true;
        }
    }

    private void EnsureCompleted()
    {
        if (!IsCompleted)
            throw new InvalidOperationException("checksums are only final once the body has been read to its end");
    }


    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _md5?.Dispose();
            foreach (var c in _checksums) c?.Dispose();
            if (!_leaveOpen) _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
