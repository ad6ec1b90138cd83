namespace Strata.Core;

/// <summary>An in-progress multipart upload: metadata only until it is completed.</summary>
public sealed record UploadInfo(
    string Id, string Repo, string Branch, string Key, DateTimeOffset Created,
    IReadOnlyList<KeyValuePair<string, string>> Headers, string? ChecksumAlgorithm, string? ChecksumType,
    IReadOnlyList<KeyValuePair<string, string>>? Completion = null)
{
    /// <summary>Completed uploads are kept briefly so that a retried Complete gets the same answer.</summary>
    public bool IsCompleted => Completion is not null;
}

/// <summary>One uploaded part: its chunks are already in the chunk store.</summary>
public sealed record PartInfo(
    string UploadId, int Number, long Size, byte[] Md5, IReadOnlyList<ChunkRef> Chunks,
    IReadOnlyList<KeyValuePair<string, string>> Checksums, DateTimeOffset Modified)
{
    public string ETag => "\"" + Convert.ToHexStringLower(Md5) + "\"";
}
