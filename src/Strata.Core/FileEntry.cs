namespace Strata.Core;

/// <summary>A part of a multipart object: its size, its checksum (in the upload's algorithm) if any, and its MD5 (hex).</summary>
public readonly record struct PartRef(long Size, string? Checksum, string? Md5 = null);

/// <summary>One stored chunk of a file's content.</summary>
public readonly record struct ChunkRef(Hash Id, int Length);

/// <summary>
/// A file in a commit's tree. Headers holds the stored HTTP headers (Content-Type,
/// Cache-Control, ..., x-amz-meta-*) as lower-case names; Checksums maps an algorithm
/// (CRC32, SHA256, ...) to its base64 value.
/// </summary>
public sealed record FileEntry
{
    public required long Size { get; init; }
    public required string ETag { get; init; }
    public required Hash ContentHash { get; init; }
    public required string CommitId { get; init; }
    public required long ModifiedUnixMs { get; init; }
    public required IReadOnlyList<ChunkRef> Chunks { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> Checksums { get; init; } = [];
    /// <summary>The parts of a multipart upload, in order (empty for a single-part object); GET ?partNumber= uses them.</summary>
    public IReadOnlyList<PartRef> Parts { get; init; } = [];

    public DateTimeOffset Modified => DateTimeOffset.FromUnixTimeMilliseconds(ModifiedUnixMs);

    public string? Header(string name)
    {
        foreach (var kv in Headers)
            if (kv.Key == name) return kv.Value;
        return null;
    }
}
