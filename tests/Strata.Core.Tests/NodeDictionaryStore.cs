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
    public Task<bool> TryCommitChainAsync(string branch, string? expectedHead, IReadOnlyList<NewCommit> chain, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, CancellationToken ct) => throw new NotSupportedException();
    public Task CreateUploadAsync(UploadInfo upload, CancellationToken ct) => throw new NotSupportedException();
    public Task<UploadInfo?> GetUploadAsync(string uploadId, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<UploadInfo>> ListUploadsAsync(string repo, string branch, string prefix, string keyMarker, string uploadIdMarker, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<UploadInfo>> ListUploadsCreatedBeforeAsync(DateTimeOffset before, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> PutPartAsync(PartInfo part, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<PartInfo>> ListPartsAsync(string uploadId, int afterNumber, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> DeleteUploadAsync(string uploadId, CancellationToken ct) => throw new NotSupportedException();
    public Task MarkUploadCompletedAsync(string uploadId, IReadOnlyList<KeyValuePair<string, string>> completion, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<VersionRow>> ListVersionsAsync(string repo, string prefix, string keyMarker, long heightMarker, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<VersionRow?> GetVersionAsync(string repo, string key, string commitId, CancellationToken ct) => throw new NotSupportedException();
    public Task<OpenCommit?> GetOpenCommitAsync(string repo, string branch, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> StartCommitAsync(OpenCommit commit, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> TryUpdateOpenCommitAsync(OpenCommit commit, Hash? expectedRoot, Hash? newRoot, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> TryFinishCommitAsync(OpenCommit open, CommitInfo commit, IReadOnlyCollection<VersionRow> versions, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> AbandonCommitAsync(string repo, string branch, string id, CancellationToken ct) => throw new NotSupportedException();
}
