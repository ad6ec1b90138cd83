namespace Strata.S3.Streaming;

/// <summary>
/// What every forward-only, read-only body wrapper here shares: no seeking, no writing, no length;
/// Position reports the bytes read so far.
/// </summary>
public abstract class ReadOnlyStream : Stream
{
    /// <summary>Bytes handed to the reader so far.</summary>
    protected abstract long BytesSoFar { get; }

    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesSoFar;
        set => throw new NotSupportedException();
    }

    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
