using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Core.Tests;

/// <summary>Forwards every call to an inner store; a test overrides the calls it counts or breaks.</summary>
internal abstract class DelegatingMetadataStore(IMetadataStore inner) : IMetadataStore
{
    public virtual Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(CancellationToken ct) => inner.ListBranchesAsync(ct);
    public virtual Task<BranchInfo?> GetBranchAsync(string repo, string branch, CancellationToken ct) => inner.GetBranchAsync(repo, branch, ct);
    public virtual Task<bool> RepoExistsAsync(string repo, CancellationToken ct) => inner.RepoExistsAsync(repo, ct);
    public virtual Task<bool> CreateBranchAsync(string repo, string branch, string? head, DateTimeOffset created, CancellationToken ct) => inner.CreateBranchAsync(repo, branch, head, created, ct);
    public virtual Task<bool> DeleteBranchAsync(string repo, string branch, CancellationToken ct) => inner.DeleteBranchAsync(repo, branch, ct);
    public virtual Task<long?> TryPurgeAsync(PurgeChange purge, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct) => inner.TryPurgeAsync(purge, nodes, protectedSinceUnixMs, ct);
    public virtual Task<bool> WasPurgedAsync(string repo, string key, string versionId, CancellationToken ct) => inner.WasPurgedAsync(repo, key, versionId, ct);
    public virtual Task<CommitInfo?> GetCommitAsync(string id, CancellationToken ct) => inner.GetCommitAsync(id, ct);
    public virtual Task<bool> TryCommitChainAsync(string branch, string? expectedHead, IReadOnlyList<NewCommit> chain, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct) => inner.TryCommitChainAsync(branch, expectedHead, chain, nodes, protectedSinceUnixMs, ct);
    public virtual Task<IReadOnlyList<VersionRow>> ListVersionsAsync(string repo, string prefix, string keyMarker, long heightMarker, int limit, CancellationToken ct) => inner.ListVersionsAsync(repo, prefix, keyMarker, heightMarker, limit, ct);
    public virtual Task<VersionRow?> GetVersionAsync(string repo, string key, string commitId, CancellationToken ct) => inner.GetVersionAsync(repo, key, commitId, ct);
    public virtual Task<byte[]?> GetNodeAsync(Hash id, CancellationToken ct) => inner.GetNodeAsync(id, ct);
    public virtual Task<OpenCommit?> GetOpenCommitAsync(string repo, string branch, CancellationToken ct) => inner.GetOpenCommitAsync(repo, branch, ct);
    public virtual Task<bool> StartCommitAsync(OpenCommit commit, CancellationToken ct) => inner.StartCommitAsync(commit, ct);
    public virtual Task<bool> TryUpdateOpenCommitAsync(OpenCommit commit, Hash? expectedRoot, Hash? newRoot, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct) => inner.TryUpdateOpenCommitAsync(commit, expectedRoot, newRoot, nodes, protectedSinceUnixMs, ct);
    public virtual Task<bool> TryFinishCommitAsync(OpenCommit open, CommitInfo commit, IReadOnlyCollection<VersionRow> versions, long protectedSinceUnixMs, CancellationToken ct) => inner.TryFinishCommitAsync(open, commit, versions, protectedSinceUnixMs, ct);
    public virtual Task<bool> AbandonCommitAsync(string repo, string branch, string id, CancellationToken ct) => inner.AbandonCommitAsync(repo, branch, id, ct);
    public virtual Task CreateUploadAsync(UploadInfo upload, CancellationToken ct) => inner.CreateUploadAsync(upload, ct);
    public virtual Task<UploadInfo?> GetUploadAsync(string uploadId, CancellationToken ct) => inner.GetUploadAsync(uploadId, ct);
    public virtual Task<IReadOnlyList<UploadInfo>> ListUploadsAsync(string repo, string branch, string prefix, string keyMarker, string uploadIdMarker, int limit, CancellationToken ct) => inner.ListUploadsAsync(repo, branch, prefix, keyMarker, uploadIdMarker, limit, ct);
    public virtual Task<IReadOnlyList<UploadInfo>> ListUploadsCreatedBeforeAsync(DateTimeOffset before, int limit, CancellationToken ct) => inner.ListUploadsCreatedBeforeAsync(before, limit, ct);
    public virtual Task<long> CountUploadsAsync(CancellationToken ct) => inner.CountUploadsAsync(ct);
    public virtual Task<bool> PutPartAsync(PartInfo part, long protectedSinceUnixMs, CancellationToken ct) => inner.PutPartAsync(part, protectedSinceUnixMs, ct);
    public virtual Task<IReadOnlyList<PartInfo>> ListPartsAsync(string uploadId, int afterNumber, int limit, CancellationToken ct) => inner.ListPartsAsync(uploadId, afterNumber, limit, ct);
    public virtual Task<bool> DeleteUploadAsync(string uploadId, CancellationToken ct) => inner.DeleteUploadAsync(uploadId, ct);
    public virtual Task MarkUploadCompletedAsync(string uploadId, IReadOnlyList<KeyValuePair<string, string>> completion, CancellationToken ct) => inner.MarkUploadCompletedAsync(uploadId, completion, ct);
    public virtual Task<long> GetGcCutoffAsync(CancellationToken ct) => inner.GetGcCutoffAsync(ct);
    public virtual Task PublishGcCutoffAsync(long cutoffUnixMs, CancellationToken ct) => inner.PublishGcCutoffAsync(cutoffUnixMs, ct);
    public virtual Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset until, CancellationToken ct) => inner.TryAcquireLeaseAsync(name, owner, until, ct);
    public virtual Task ReleaseLeaseAsync(string name, string owner, CancellationToken ct) => inner.ReleaseLeaseAsync(name, owner, ct);
    public virtual Task<string?> GetSettingAsync(string key, CancellationToken ct) => inner.GetSettingAsync(key, ct);
    public virtual Task SetSettingAsync(string key, string value, CancellationToken ct) => inner.SetSettingAsync(key, value, ct);
    public virtual Task<IReadOnlyList<OpenCommit>> ListOpenCommitsAsync(CancellationToken ct) => inner.ListOpenCommitsAsync(ct);
    public virtual Task<IReadOnlyList<PartInfo>> ListAllPartsAsync(string afterUploadId, int afterNumber, int limit, CancellationToken ct) => inner.ListAllPartsAsync(afterUploadId, afterNumber, limit, ct);
    public virtual Task<IReadOnlyList<DroppedRoot>> ListDroppedAsync(long sinceUnixMs, long afterSeq, int limit, CancellationToken ct) => inner.ListDroppedAsync(sinceUnixMs, afterSeq, limit, ct);
    public virtual Task<int> PurgeDroppedAsync(long beforeUnixMs, CancellationToken ct) => inner.PurgeDroppedAsync(beforeUnixMs, ct);
    public virtual Task<IReadOnlyList<NodeStat>> ListNodesAsync(Hash? after, int limit, CancellationToken ct) => inner.ListNodesAsync(after, limit, ct);
    public virtual Task<int> DeleteNodesAsync(IReadOnlyList<Hash> ids, long touchedBeforeUnixMs, CancellationToken ct) => inner.DeleteNodesAsync(ids, touchedBeforeUnixMs, ct);
    public virtual Task<IReadOnlyList<CommitInfo>> ListCommitsAsync(string afterId, int limit, CancellationToken ct) => inner.ListCommitsAsync(afterId, limit, ct);
    public virtual Task<int> DeleteCommitsAsync(IReadOnlyList<string> ids, long madeBeforeUnixMs, CancellationToken ct) => inner.DeleteCommitsAsync(ids, madeBeforeUnixMs, ct);
    public virtual Task<bool> FreshenChunkAsync(Hash id, Func<CancellationToken, Task<bool>> touch, CancellationToken ct) => inner.FreshenChunkAsync(id, touch, ct);
    public virtual Task<int> SweepChunksAsync(IReadOnlyList<Hash> candidates, long freshenedSinceUnixMs, Func<IReadOnlyList<Hash>, CancellationToken, Task> delete, CancellationToken ct) => inner.SweepChunksAsync(candidates, freshenedSinceUnixMs, delete, ct);
    public virtual Task<int> PurgeFreshenedAsync(long beforeUnixMs, CancellationToken ct) => inner.PurgeFreshenedAsync(beforeUnixMs, ct);
    public virtual Task<IReadOnlyList<VersionRow>> ListCommitVersionsAsync(string repo, string commitId, CancellationToken ct) => inner.ListCommitVersionsAsync(repo, commitId, ct);
    public virtual Task ReplaceCommitVersionsAsync(CommitInfo commit, IReadOnlyCollection<VersionRow> rows, CancellationToken ct) => inner.ReplaceCommitVersionsAsync(commit, rows, ct);
    public virtual Task<bool> RaiseBranchFloorAsync(string repo, string branch, long floor, string droppedBelow, CancellationToken ct) => inner.RaiseBranchFloorAsync(repo, branch, floor, droppedBelow, ct);
    public virtual Task<IReadOnlyList<KeyValuePair<string, string>>> GetObjectTagsAsync(string repo, string key, string commitId, CancellationToken ct) => inner.GetObjectTagsAsync(repo, key, commitId, ct);
    public virtual Task SetObjectTagsAsync(string repo, string key, string commitId, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken ct) => inner.SetObjectTagsAsync(repo, key, commitId, tags, ct);
    public virtual Task<string?> GetBucketConfigAsync(string repo, string branch, string kind, CancellationToken ct) => inner.GetBucketConfigAsync(repo, branch, kind, ct);
    public virtual Task SetBucketConfigAsync(string repo, string branch, string kind, string? document, CancellationToken ct) => inner.SetBucketConfigAsync(repo, branch, kind, document, ct);
    public virtual Task DeleteBucketConfigsAsync(string repo, string branch, CancellationToken ct) => inner.DeleteBucketConfigsAsync(repo, branch, ct);
}
