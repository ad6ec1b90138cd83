using Strata.Core.Auth;
using Strata.Core.Storage;
using Strata.Core.Tree;

namespace Strata.Core;

/// <summary>What a purge erased: the version, whether it was a delete marker, the branches whose history held it, the commits rewritten.</summary>
public sealed record PurgeResult(string Key, string VersionId, bool WasDeleteMarker, IReadOnlyList<string> Branches, int CommitsRewritten);

/// <summary>
/// Permanent deletes of versions (S3's DeleteObject with a versionId). As in S3, version V of key K
/// leaves K's version list, and if it was current the version before it becomes current. In a store
/// that keeps every commit, that means rewriting history: every commit from V up to K's next change
/// gets a tree holding the version before V (or no K) instead. Commit ids, messages and heights stay;
/// the version row goes; the bytes only V referenced become garbage for GC.
/// A commit is one tree for every branch that holds it, so a version that other branches' history
/// holds too is erased from all of them or from none (<see cref="StoreError.VersionShared"/> unless
/// asked for all). Cost: O(log n) per commit rewritten, and the commits are those that held V; a batch
/// (DeleteObjects) is planned in memory and stored with one transaction.
/// </summary>
public sealed class Purger(VersionedStore store, TimeProvider clock)
{
    /// <summary>The branches of the repo whose history holds the commit.</summary>
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
        var results = await PurgeManyAsync(repo, branch, [KeyValuePair.Create(key, versionId)], allBranches, actor, ct).ConfigureAwait(false);
        return results[0] is { Result: { } r } ? r : throw results[0].Error!;
    }

    /// <summary>
    /// Erases several versions at once (each as <see cref="PurgeAsync"/>); each gets its result or its
    /// error (NoSuchVersion, VersionShared, CommitOpen), in order. One transaction stores them all.
    /// </summary>
    public async Task<IReadOnlyList<(PurgeResult? Result, StrataException? Error)>> PurgeManyAsync(string repo, string branch,
        IReadOnlyList<KeyValuePair<string, string>> versions, bool allBranches, string actor, CancellationToken ct)
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
                var plan = await PlanAsync(repo, branch, versions, allBranches, actor, ct).ConfigureAwait(false);
                if (plan.Change.Versions.Count == 0) return plan.Outcomes;
                try
                {
                    if (await store.Meta.TryPurgeAsync(plan.Change, plan.Nodes, VersionedStore.ProtectedSince(started), ct).ConfigureAwait(false) is { } count)
                    {
                        store.PurgedHere(repo, count, plan.Change.Rewrites);
                        StoreMetrics.Purges.Add(plan.Change.Versions.Count);
                        return plan.Outcomes;
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

    private sealed record Plan(PurgeChange Change, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> Nodes, List<(PurgeResult?, StrataException?)> Outcomes);

    private async Task<Plan> PlanAsync(string repo, string branch, IReadOnlyList<KeyValuePair<string, string>> versions, bool allBranches, string actor, CancellationToken ct)
    {
        await store.GetBranchAsync(repo, branch, ct).ConfigureAwait(false); // NoSuchBranch first
        var all = (await store.ListBranchesAsync(ct).ConfigureAwait(false)).Where(b => b.Repo == repo).ToList();
        var writer = new TreeWriter(store.Nodes);
        // Roots as rewritten so far in this plan (commit id -> (stored root, new root)); later purges read through them.
        var roots = new Dictionary<string, (Hash? Old, Hash? New)>(StringComparer.Ordinal);
        var gone = new HashSet<(string, string)>();
        var reaching = new SortedSet<string>(StringComparer.Ordinal);
        var outcomes = new List<(PurgeResult?, StrataException?)>();
        var erased = new List<KeyValuePair<string, string>>();
        var audit = new List<AuditEntry>();
        foreach (var (key, versionId) in versions)
        {
            try
            {
                if (!gone.Add((key, versionId))) throw NotHere(repo, branch, key, versionId);
                var (result, holding) = await PlanOneAsync(repo, branch, key, versionId, allBranches, writer, roots, gone, ct).ConfigureAwait(false);
                reaching.UnionWith(holding);
                erased.Add(KeyValuePair.Create(key, versionId));
                audit.Add(new AuditEntry(0, clock.GetUtcNow(), actor, "purge", $"{repo}:{key}",
                    $"version {versionId}{(result.WasDeleteMarker ? " (a delete marker)" : "")} erased from branch(es) {string.Join(", ", result.Branches)}; {result.CommitsRewritten} commit(s) rewritten"));
                outcomes.Add((result, null));
            }
            catch (StrataException e) when (e.Error is StoreError.NoSuchVersion or StoreError.VersionShared or StoreError.CommitOpen)
            {
                gone.Remove((key, versionId));
                outcomes.Add((null, e));
            }
        }
        var rewrites = roots.Where(r => r.Value.Old != r.Value.New).Select(r => new RootRewrite(r.Key, r.Value.Old, r.Value.New)).ToList();
        var change = new PurgeChange(repo, erased, all.Select(b => KeyValuePair.Create(b.Name, b.Head)).ToList(), [.. reaching], rewrites, audit);
        return new Plan(change, writer.NewNodes, outcomes);
    }

    private static StrataException NotHere(string repo, string branch, string key, string versionId) =>
        new(StoreError.NoSuchVersion, $"{versionId} is not a version of '{key}' on branch {branch} of repo {repo}");

    private async Task<(PurgeResult, IReadOnlyList<string>)> PlanOneAsync(string repo, string branch, string key, string versionId, bool allBranches,
        TreeWriter writer, Dictionary<string, (Hash? Old, Hash? New)> roots, HashSet<(string, string)> gone, CancellationToken ct)
    {
        var meta = store.Meta;
        var row = await meta.GetVersionAsync(repo, key, versionId, ct).ConfigureAwait(false) ?? throw NotHere(repo, branch, key, versionId);
        var version = await store.Commits.GetAsync(versionId, ct).ConfigureAwait(false) ?? throw NotHere(repo, branch, key, versionId);
        var holding = await BranchesHoldingAsync(repo, version, ct).ConfigureAwait(false);
        if (!holding.Any(b => b.Name == branch)) throw NotHere(repo, branch, key, versionId);
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
            before = await ReadAsync(writer, roots, parent, key, ct).ConfigureAwait(false);

        var rewritten = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in holding)
        {
            var head = (await store.Commits.GetAsync(b.Head!, ct).ConfigureAwait(false))!;
            var next = await NextChangeAsync(repo, key, version.Height, head, gone, ct).ConfigureAwait(false);
            var low = Math.Max(version.Height, b.Floor);
            var walk = await store.Commits.AncestorAtAsync(head, next - 1, ct).ConfigureAwait(false);
            while (walk is not null && walk.Height >= low && !rewritten.Contains(walk.Id))
            {
                var current = await ReadAsync(writer, roots, walk, key, ct).ConfigureAwait(false);
                // Only where the tree still shows V: a put's entry written by V, or a delete marker's absence.
                if (row.IsDelete ? current is null : current?.CommitId == versionId)
                {
                    var old = roots.TryGetValue(walk.Id, out var r) ? r : (Old: walk.Root, New: walk.Root);
                    var root = await writer.ApplyAsync(old.New, [new Mutation(key, before)], ct).ConfigureAwait(false);
                    roots[walk.Id] = (old.Old, root);
                    rewritten.Add(walk.Id);
                }
                walk = walk.Parent is null ? null : await store.Commits.GetAsync(walk.Parent, ct).ConfigureAwait(false);
            }
        }
        var names = holding.Select(b => b.Name).ToList();
        return (new PurgeResult(key, versionId, row.IsDelete, names, rewritten.Count), names);
    }

    /// <summary>The key at a commit, through the roots this plan already rewrote (whose nodes only the writer holds yet).</summary>
    private static Task<FileEntry?> ReadAsync(TreeWriter writer, Dictionary<string, (Hash? Old, Hash? New)> roots, CommitInfo c, string key, CancellationToken ct) =>
        TreeReader.GetAsync(writer.LoadAsync, roots.TryGetValue(c.Id, out var r) ? r.New : c.Root, key, ct);

    /// <summary>
    /// The height of the key's next version after <paramref name="height"/> in head's history, not counting
    /// versions this plan already erased (head's height + 1 if none).
    /// </summary>
    private async Task<long> NextChangeAsync(string repo, string key, long height, CommitInfo head, HashSet<(string, string)> gone, CancellationToken ct)
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
                if (r.Height <= head.Height && !gone.Contains((key, r.CommitId))
                    && (await store.Commits.AncestorAtAsync(head, r.Height, ct).ConfigureAwait(false))?.Id == r.CommitId)
                    next = Math.Min(next, r.Height);
            }
            if (mine.Count < rows.Count || rows.Count < 1000) return next;
            marker = mine[^1].Height;
        }
    }
}
