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

    /// <summary>Heights [Low, High) of a branch where a key gets State; the commits found there.</summary>
    private sealed record KeyRange(string Key, long Low, long High, FileEntry? State)
    {
        public HashSet<string> Commits { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A requested version that can be erased: its row, its commit, and the branches whose history holds it.</summary>
    private sealed record Valid(int Index, string Key, string VersionId, VersionRow Row, CommitInfo Commit, IReadOnlyList<BranchInfo> Holding);

    /// <summary>
    /// Plans a batch in one pass per key and branch, then one rewrite per commit. On a branch, a key's
    /// versions erased together form runs (consecutive in its history); every commit from a run's first
    /// version up to the key's next kept version shows one of the run's versions, so it gets the state
    /// before the run: the key as in the first version's parent (or absent).
    /// </summary>
    private async Task<Plan> PlanAsync(string repo, string branch, IReadOnlyList<KeyValuePair<string, string>> versions, bool allBranches, string actor, CancellationToken ct)
    {
        await store.GetBranchAsync(repo, branch, ct).ConfigureAwait(false); // NoSuchBranch first
        var all = (await store.ListBranchesAsync(ct).ConfigureAwait(false)).Where(b => b.Repo == repo).ToList();
        var outcomes = new List<(PurgeResult?, StrataException?)>();
        var valid = new List<Valid>();
        var seen = new HashSet<(string, string)>();
        for (var i = 0; i < versions.Count; i++)
        {
            var (key, versionId) = versions[i];
            outcomes.Add((null, null));
            try
            {
                if (!seen.Add((key, versionId))) throw NotHere(repo, branch, key, versionId);
                valid.Add(await ValidateAsync(i, repo, branch, key, versionId, allBranches, ct).ConfigureAwait(false));
            }
            catch (StrataException e) when (e.Error is StoreError.NoSuchVersion or StoreError.VersionShared or StoreError.CommitOpen)
            {
                outcomes[i] = (null, e);
            }
        }
        var erased = valid.Select(v => (v.Key, v.VersionId)).ToHashSet();

        // Per branch: the key ranges to rewrite (heights [Low, High)) and the state to give the key there.
        var validOf = valid.ToDictionary(v => (v.Key, v.VersionId));
        var ranges = new Dictionary<string, List<KeyRange>>(StringComparer.Ordinal);
        var runsOf = new Dictionary<(string Key, string VersionId), List<KeyRange>>();
        foreach (var b in valid.SelectMany(v => v.Holding).DistinctBy(b => b.Name))
        {
            var head = (await store.Commits.GetAsync(b.Head!, ct).ConfigureAwait(false))!;
            var list = ranges[b.Name] = [];
            foreach (var key in valid.Where(v => v.Holding.Any(h => h.Name == b.Name)).Select(v => v.Key).Distinct(StringComparer.Ordinal))
            {
                var rows = await RowsOnAsync(repo, key, head, ct).ConfigureAwait(false); // oldest first
                for (var i = 0; i < rows.Count; i++)
                {
                    if (!erased.Contains((key, rows[i].CommitId)) || (i > 0 && erased.Contains((key, rows[i - 1].CommitId)))) continue;
                    var end = i;
                    while (end + 1 < rows.Count && erased.Contains((key, rows[end + 1].CommitId))) end++;
                    var high = end + 1 < rows.Count ? rows[end + 1].Height : head.Height + 1;
                    var first = validOf[(key, rows[i].CommitId)];
                    FileEntry? before = null;
                    // The parent's tree is readable if some branch holding the version keeps it (above its floor).
                    if (first.Commit.Parent is not null && await store.Commits.GetAsync(first.Commit.Parent, ct).ConfigureAwait(false) is { } parent
                        && first.Holding.Any(x => x.Floor <= parent.Height))
                        before = await store.GetFileAsync(parent, key, ct).ConfigureAwait(false);
                    var range = new KeyRange(key, Math.Max(rows[i].Height, b.Floor), high, before);
                    list.Add(range);
                    for (var j = i; j <= end; j++)
                    {
                        if (!runsOf.TryGetValue((key, rows[j].CommitId), out var runs)) runsOf[(key, rows[j].CommitId)] = runs = [];
                        runs.Add(range);
                    }
                    i = end;
                }
            }
        }

        // One walk down each branch, one rewrite per commit with every key range covering it.
        var changes = new Dictionary<string, (CommitInfo Commit, Dictionary<string, FileEntry?> Keys)>(StringComparer.Ordinal);
        var walked = new Dictionary<string, CommitInfo>(StringComparer.Ordinal);
        foreach (var (name, list) in ranges)
        {
            if (list.Count == 0) continue;
            var b = all.First(x => x.Name == name);
            var walk = await store.Commits.GetAsync(b.Head!, ct).ConfigureAwait(false);
            var lowest = list.Min(x => x.Low);
            while (walk is not null && walk.Height >= lowest)
            {
                walked[walk.Id] = walk;
                foreach (var range in list)
                    if (walk.Height >= range.Low && walk.Height < range.High)
                    {
                        if (!changes.TryGetValue(walk.Id, out var c)) changes[walk.Id] = c = (walk, new Dictionary<string, FileEntry?>(StringComparer.Ordinal));
                        c.Keys[range.Key] = range.State;
                        range.Commits.Add(walk.Id);
                    }
                walk = walk.Parent is null ? null : await store.Commits.GetAsync(walk.Parent, ct).ConfigureAwait(false);
            }
        }
        var writer = new TreeWriter(store.Nodes);
        var rewrites = new List<RootRewrite>();
        foreach (var (id, (commit, keys)) in changes)
        {
            var root = await writer.ApplyAsync(commit.Root, keys.Select(k => new Mutation(k.Key, k.Value)), ct).ConfigureAwait(false);
            if (root != commit.Root) rewrites.Add(new RootRewrite(id, commit.Root, root));
        }
        // A commit stored as an overlay reads through its base tree. Where the purge rewrote that tree the overlay
        // need not hold the version (it changed the key), but its base still reaches the bytes: it is made whole.
        var gone = rewrites.Where(r => r.OldRoot is not null).Select(r => r.OldRoot!.Value).ToHashSet();
        foreach (var (id, commit) in gone.Count == 0 ? [] : walked)
            if (!changes.ContainsKey(id) && commit.Root is { } r
                && await store.Nodes.LoadAsync(r, ct).ConfigureAwait(false) is { IsOverlay: true, Base: { } b } && gone.Contains(b))
                rewrites.Add(new RootRewrite(id, r, await writer.ApplyAsync(r, [], ct).ConfigureAwait(false)));

        var audit = new List<AuditEntry>();
        foreach (var v in valid)
        {
            var names = v.Holding.Select(h => h.Name).ToList();
            // The commits of the version's runs on each branch (shared commits counted once).
            var count = runsOf.TryGetValue((v.Key, v.VersionId), out var runs) ? runs.SelectMany(r => r.Commits).Distinct().Count() : 0;
            var result = new PurgeResult(v.Key, v.VersionId, v.Row.IsDelete, names, count);
            outcomes[v.Index] = (result, null);
            audit.Add(new AuditEntry(0, clock.GetUtcNow(), actor, "purge", $"{repo}:{v.Key}",
                $"version {v.VersionId}{(v.Row.IsDelete ? " (a delete marker)" : "")} erased from branch(es) {string.Join(", ", names)}; {count} commit(s) rewritten"));
        }
        var change = new PurgeChange(repo, valid.Select(v => KeyValuePair.Create(v.Key, v.VersionId)).ToList(),
            all.Select(b => KeyValuePair.Create(b.Name, b.Head)).ToList(), valid.SelectMany(v => v.Holding).Select(b => b.Name).Distinct().Order(StringComparer.Ordinal).ToList(),
            rewrites, audit);
        return new Plan(change, writer.NewNodes, outcomes);
    }

    private static StrataException NotHere(string repo, string branch, string key, string versionId) =>
        new(StoreError.NoSuchVersion, $"{versionId} is not a version of '{key}' on branch {branch} of repo {repo}");

    private async Task<Valid> ValidateAsync(int index, string repo, string branch, string key, string versionId, bool allBranches, CancellationToken ct)
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
        return new Valid(index, key, versionId, row, version, holding);
    }

    /// <summary>The key's version rows in head's history, oldest first.</summary>
    private async Task<List<VersionRow>> RowsOnAsync(string repo, string key, CommitInfo head, CancellationToken ct)
    {
        var mine = new List<VersionRow>();
        var marker = long.MaxValue;
        while (true)
        {
            var rows = await store.Meta.ListVersionsAsync(repo, key, key, marker, 1000, ct).ConfigureAwait(false);
            var page = rows.TakeWhile(r => r.Key == key).ToList();
            foreach (var r in page)
                if (r.Height <= head.Height && (await store.Commits.AncestorAtAsync(head, r.Height, ct).ConfigureAwait(false))?.Id == r.CommitId)
                    mine.Add(r);
            if (page.Count < rows.Count || rows.Count < 1000) break;
            marker = page[^1].Height;
        }
        mine.Reverse();
        return mine;
    }
}
