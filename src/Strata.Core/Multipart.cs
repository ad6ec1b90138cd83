namespace Strata.Core;

/// <summary>An in-progress multipart upload: metadata only until it is completed.</summary>
public sealed record UploadInfo(
    string Id, string Repo, string Branch, string Key, DateTimeOffset Created,
    IReadOnlyList<KeyValuePair<string, string>> Headers, string? ChecksumAlgorithm, string? ChecksumType);

/// <summary>One uploaded part: its chunks are already in the chunk store.</summary>
public sealed record PartInfo(
    string UploadId, int Number, long Size, byte[] Md5, IReadOnlyList<ChunkRef> Chunks,
    IReadOnlyList<KeyValuePair<string, string>> Checksums, DateTimeOffset Modified)
{
    public string ETag => "\"" + Convert.ToHexStringLower(Md5) + "\"";
}
