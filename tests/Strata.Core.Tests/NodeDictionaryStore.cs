using System.Collections.Concurrent;
using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Core.Tests;

/// <summary>Just enough of a metadata store to hold tree nodes for tree tests.</summary>
internal sealed class NodeDictionaryStore : NodeDictionaryStoreBase;

/// <summary>Just enough of a metadata store to hold tree nodes for tree tests.</summary>
internal class NodeDictionaryStoreBase : IMetadataStore
{
    public ConcurrentDictionary<Hash, byte[]> Nodes { get; } = new();

    public virtual Task<byte[]?> GetNodeAsync(Hash id, CancellationToken ct) => Task.FromResult(Nodes.TryGetValue(id, out var d) ? d : null);

    public Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(CancellationToken ct) => throw new NotSupportedException();
    public Task<BranchInfo?> GetBranchAsync(string repo, string branch, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> RepoExistsAsync(string repo, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> CreateBranchAsync(string repo, string branch, string? head, DateTimeOffset created, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> DeleteBranchAsync(string repo, string branch, CancellationToken ct) => throw new NotSupportedException();
    public Task<CommitInfo?> GetCommitAsync(string id, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> TryCommitChainAsync(string branch, string? expectedHead, IReadOnlyList<NewCommit> chain, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct) => throw new NotSupportedException();
    public Task<long?> TryPurgeAsync(PurgeChange purge, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> WasPurgedAsync(string repo, string key, string versionId, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<VersionRow>> ListVersionsAsync(string repo, string prefix, string keyMarker, long heightMarker, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<VersionRow?> GetVersionAsync(string repo, string key, string commitId, CancellationToken ct) => throw new NotSupportedException();
    public Task<OpenCommit?> GetOpenCommitAsync(string repo, string branch, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> StartCommitAsync(OpenCommit commit, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> TryUpdateOpenCommitAsync(OpenCommit commit, Hash? expectedRoot, Hash? newRoot, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> TryFinishCommitAsync(OpenCommit open, CommitInfo commit, IReadOnlyCollection<VersionRow> versions, long protectedSinceUnixMs, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> AbandonCommitAsync(string repo, string branch, string id, CancellationToken ct) => throw new NotSupportedException();
    public Task CreateUploadAsync(UploadInfo upload, CancellationToken ct) => throw new NotSupportedException();
    public Task<UploadInfo?> GetUploadAsync(string uploadId, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<UploadInfo>> ListUploadsAsync(string repo, string branch, string prefix, string keyMarker, string uploadIdMarker, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<UploadInfo>> ListUploadsCreatedBeforeAsync(DateTimeOffset before, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<long> CountUploadsAsync(CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> PutPartAsync(PartInfo part, long protectedSinceUnixMs, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<PartInfo>> ListPartsAsync(string uploadId, int afterNumber, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> DeleteUploadAsync(string uploadId, CancellationToken ct) => throw new NotSupportedException();
    public Task MarkUploadCompletedAsync(string uploadId, IReadOnlyList<KeyValuePair<string, string>> completion, CancellationToken ct) => throw new NotSupportedException();
    public Task<long> GetGcCutoffAsync(CancellationToken ct) => throw new NotSupportedException();
    public Task PublishGcCutoffAsync(long cutoffUnixMs, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset until, CancellationToken ct) => throw new NotSupportedException();
    public Task ReleaseLeaseAsync(string name, string owner, CancellationToken ct) => throw new NotSupportedException();
    public Task<string?> GetSettingAsync(string key, CancellationToken ct) => throw new NotSupportedException();
    public Task SetSettingAsync(string key, string value, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<OpenCommit>> ListOpenCommitsAsync(CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<PartInfo>> ListAllPartsAsync(string afterUploadId, int afterNumber, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<DroppedRoot>> ListDroppedAsync(long sinceUnixMs, long afterSeq, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<int> PurgeDroppedAsync(long beforeUnixMs, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<NodeStat>> ListNodesAsync(Hash? after, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<int> DeleteNodesAsync(IReadOnlyList<Hash> ids, long touchedBeforeUnixMs, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<CommitInfo>> ListCommitsAsync(string afterId, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<int> DeleteCommitsAsync(IReadOnlyList<string> ids, long madeBeforeUnixMs, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> FreshenChunkAsync(Hash id, Func<CancellationToken, Task<bool>> touch, CancellationToken ct) => throw new NotSupportedException();
    public Task<int> SweepChunksAsync(IReadOnlyList<Hash> candidates, long freshenedSinceUnixMs, Func<IReadOnlyList<Hash>, CancellationToken, Task> delete, CancellationToken ct) => throw new NotSupportedException();
    public Task<int> PurgeFreshenedAsync(long beforeUnixMs, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<VersionRow>> ListCommitVersionsAsync(string repo, string commitId, CancellationToken ct) => throw new NotSupportedException();
    public Task ReplaceCommitVersionsAsync(CommitInfo commit, IReadOnlyCollection<VersionRow> rows, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> RaiseBranchFloorAsync(string repo, string branch, long floor, string droppedBelow, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<KeyValuePair<string, string>>> GetObjectTagsAsync(string repo, string key, string commitId, CancellationToken ct) => throw new NotSupportedException();
    public Task SetObjectTagsAsync(string repo, string key, string commitId, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken ct) => throw new NotSupportedException();
    public Task<string?> GetBucketConfigAsync(string repo, string branch, string kind, CancellationToken ct) => throw new NotSupportedException();
    public Task SetBucketConfigAsync(string repo, string branch, string kind, string? document, CancellationToken ct) => throw new NotSupportedException();
    public Task DeleteBucketConfigsAsync(string repo, string branch, CancellationToken ct) => throw new NotSupportedException();
}
