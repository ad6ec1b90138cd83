using Strata.Core.Auth;
using Strata.Core.Storage;
using Strata.Core.Tree;

namespace Strata.Core;

/// <summary>What a purge erased: the version, whether it was a delete marker, the branches whose history held it, the commits rewritten.</summary>
public sealed record PurgeResult(string Key, string VersionId, bool WasDeleteMarker, IReadOnlyList<string> Branches, int CommitsRewritten);

/// <summary>
/// Permanent deletes of one version V of a key K (S3's DeleteObject with a versionId). As in S3, V
/// leaves K's version list, and if it was current the version before it becomes current. In a store
/// that keeps every commit, that means rewriting history: every commit from V up to K's next change
/// gets a tree holding the version before V (or no K) instead. Commit ids, messages and heights stay;
/// the version row goes; the bytes only V referenced become garbage for GC.
/// A commit is one tree for every branch that holds it, so a version that other branches' history
/// holds too is erased from all of them or from none (<see cref="StoreError.VersionShared"/> unless
/// asked for all). Cost: O(log n) per commit rewritten, and the commits are those that held V.
/// </summary>
public sealed class Purger(VersionedStore store, TimeProvider clock)
{
    /// <summary>The branches of the repo whose readable history (above their floor) holds the commit.</summary>
    public async Task<IReadOnlyList<BranchInfo>> BranchesHoldingAsync(string repo, CommitInfo commit, CancellationToken ct)
    {
        var holding = new List<BranchInfo>();
        foreach (var b in await store.ListBranchesAsync(ct).ConfigureAwait(false))
            if (b.Repo == repo && b.Head is not null && await store.Commits.GetAsync(b.Head, ct).ConfigureAwait(false) is { } head
                && await store.Commits.IsAncestorAsync(head, commit, ct).ConfigureAwait(false))
                holding.Add(b);
        return holding;
    }

    /// <summary>
    /// Erases version <paramref name="versionId"/> of <paramref name="key"/> as seen from a branch.
    /// NoSuchVersion if that commit did not write the key or is not in the branch's history;
    /// VersionShared if other branches hold it and <paramref name="allBranches"/> is false;
    /// CommitOpen if a branch holding it has an explicit commit open. Concurrent writers are never lost:
    /// the purge is stored only if no head moved meanwhile, and a writer that built on a rewritten
    /// commit is refused by its CAS and retries on the new tree.
    /// </summary>
    public async Task<PurgeResult> PurgeAsync(string repo, string branch, string key, string versionId, bool allBranches, string actor, CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        var deadline = started + VersionedStore.CommitRetryBudget;
        var gate = store.BranchGate(repo, branch);
        for (var attempt = 0; ; attempt++)
        {
            // The gate keeps this process's writers to the branch from racing the purge; other nodes' writers race its CAS.
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var (change, nodes, result) = await PlanAsync(repo, branch, key, versionId, allBranches, actor, ct).ConfigureAwait(false);
                try
                {
                    if (await store.Meta.TryPurgeAsync(change, nodes, VersionedStore.ProtectedSince(started), ct).ConfigureAwait(false))
                    {
                        store.Commits.Forget();
                        StoreMetrics.Purges.Add(1);
                        return result;
                    }
                }
                catch (StrataException e) when (e.Error == StoreError.GcExpired)
                {
                    started = clock.GetUtcNow();
                    await store.RefreshCutoffAsync(ct).ConfigureAwait(false);
                }
            }
            finally
            {
                gate.Release();
            }
            if (clock.GetUtcNow() >= deadline)
                throw new StrataException(StoreError.ConflictRetriesExhausted, "the branches kept moving while purging; try again");
            store.Commits.Forget(); // another node may have purged: plan again on fresh roots
            await Task.Delay(Random.Shared.Next(1, 2 + Math.Min(attempt, 10) * 5), ct).ConfigureAwait(false);
        }
    }

    private async Task<(PurgeChange, IReadOnlyCollection<KeyValuePair<Hash, byte[]>>, PurgeResult)> PlanAsync(
        string repo, string branch, string key, string versionId, bool allBranches, string actor, CancellationToken ct)
    {
        var meta = store.Meta;
        var notHere = new StrataException(StoreError.NoSuchVersion, $"{versionId} is not a version of '{key}' on branch {branch} of repo {repo}");
        await store.GetBranchAsync(repo, branch, ct).ConfigureAwait(false); // NoSuchBranch first
        var row = await meta.GetVersionAsync(repo, key, versionId, ct).ConfigureAwait(false) ?? throw notHere;
        var version = await store.Commits.GetAsync(versionId, ct).ConfigureAwait(false) ?? throw notHere;
        var all = (await store.ListBranchesAsync(ct).ConfigureAwait(false)).Where(b => b.Repo == repo).ToList();
        var holding = await BranchesHoldingAsync(repo, version, ct).ConfigureAwait(false);
        if (!holding.Any(b => b.Name == branch)) throw notHere;
        if (!allBranches && holding.Count > 1)
            throw new StrataException(StoreError.VersionShared,
                $"version {versionId} of '{key}' is also in the history of branch(es) {string.Join(", ", holding.Where(b => b.Name != branch).Select(b => b.Name))} " +
                "of the same commits; erase it from all of them with `strata purge --all-branches` or the admin API");
        foreach (var b in holding)
            if (await meta.GetOpenCommitAsync(repo, b.Name, ct).ConfigureAwait(false) is not null)
                throw new StrataException(StoreError.CommitOpen, $"branch {b.Name} has an open commit; finish or abandon it before purging");

        // The version before V: K in V's parent, if some branch still keeps that commit's tree (above its floor).
        FileEntry? before = null;
        if (version.Parent is not null && await store.Commits.GetAsync(version.Parent, ct).ConfigureAwait(false) is { } parent
            && holding.Any(b => b.Floor <= parent.Height))
            before = await store.GetFileAsync(parent, key, ct).ConfigureAwait(false);

        var writer = new TreeWriter(store.Nodes);
        var rewrites = new Dictionary<string, RootRewrite>(StringComparer.Ordinal);
        foreach (var b in holding)
        {
            var head = (await store.Commits.GetAsync(b.Head!, ct).ConfigureAwait(false))!;
            var next = await NextChangeAsync(repo, key, version.Height, head, ct).ConfigureAwait(false);
            var low = Math.Max(version.Height, b.Floor);
            var walk = await store.Commits.AncestorAtAsync(head, next - 1, ct).ConfigureAwait(false);
            while (walk is not null && walk.Height >= low && !rewrites.ContainsKey(walk.Id))
            {
                var current = await store.GetFileAsync(walk, key, ct).ConfigureAwait(false);
                // Only where the tree still shows V: a put's entry written by V, or a delete marker's absence.
                if (row.IsDelete ? current is null : current?.CommitId == versionId)
                {
                    var root = await writer.ApplyAsync(walk.Root, [new Mutation(key, before)], ct).ConfigureAwait(false);
                    rewrites[walk.Id] = new RootRewrite(walk.Id, walk.Root, root);
                }
                walk = walk.Parent is null ? null : await store.Commits.GetAsync(walk.Parent, ct).ConfigureAwait(false);
            }
        }
        var names = holding.Select(b => b.Name).ToList();
        var audit = new AuditEntry(0, clock.GetUtcNow(), actor, "purge", $"{repo}:{key}",
            $"version {versionId}{(row.IsDelete ? " (a delete marker)" : "")} erased from branch(es) {string.Join(", ", names)}; {rewrites.Count} commit(s) rewritten");
        var change = new PurgeChange(repo, key, versionId, all.Select(b => KeyValuePair.Create(b.Name, b.Head)).ToList(), names, [.. rewrites.Values], audit);
        return (change, writer.NewNodes, new PurgeResult(key, versionId, row.IsDelete, names, rewrites.Count));
    }

    /// <summary>The height of the key's next version after <paramref name="height"/> in head's history (head's height + 1 if none).</summary>
    private async Task<long> NextChangeAsync(string repo, string key, long height, CommitInfo head, CancellationToken ct)
    {
        var next = head.Height + 1;
        var marker = long.MaxValue;
        while (true)
        {
            // Newest first: the rows above V come before it.
            var rows = await store.Meta.ListVersionsAsync(repo, key, key, marker, 1000, ct).ConfigureAwait(false);
            var mine = rows.TakeWhile(r => r.Key == key).ToList();
            foreach (var r in mine)
            {
                if (r.Height <= height) return next;
                if (r.Height <= head.Height && (await store.Commits.AncestorAtAsync(head, r.Height, ct).ConfigureAwait(false))?.Id == r.CommitId)
                    next = Math.Min(next, r.Height);
            }
            if (mine.Count < rows.Count || rows.Count < 1000) return next;
            marker = mine[^1].Height;
        }
    }
}
