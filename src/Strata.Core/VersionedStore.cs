using System.Collections.Concurrent;
using Strata.Core.Chunking;
using Strata.Core.Storage;
using Strata.Core.Tree;

namespace Strata.Core;

/// <summary>
/// The versioned store: repos, branches, immutable commits of file trees. Every write is one
/// commit made by compare-and-swap on the branch head; a per-branch queue in this process folds
/// concurrent writers into one stored chain (group commit) and saves wasted retries, it is not
/// what makes writes safe.
/// </summary>
public sealed class VersionedStore(IMetadataStore meta, IChunkStore chunks, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _branchLocks = new();
    private readonly ConcurrentDictionary<string, BranchQueue> _queues = new();

    /// <summary>How long a write keeps retrying when other nodes keep moving the branch head first.</summary>
    public static readonly TimeSpan CommitRetryBudget = TimeSpan.FromMinutes(2);

    public IMetadataStore Meta => meta;
    /// <summary>The chunk store as readers see it: small chunks stored with their commit are found too.</summary>
    public IChunkStore Chunks { get; } = new InlineChunkStore(meta, chunks);
    public NodeCache Nodes { get; } = new(meta);
    public CommitGraph Commits { get; } = new(meta);
    public ContentWriter Content { get; } = new(new InlineChunkStore(meta, chunks), meta);

    /// <summary>
    /// A reused chunk older than this is freshened (touched again) rather than relied on as it is;
    /// see <see cref="ContentWriter.FreshenAge"/>. A garbage collection refuses a write that relies on
    /// something touched before its cutoff, so the GC grace period should be well above this.
    /// </summary>
    public TimeSpan FreshenAge
    {
        get => Content.FreshenAge;
        set => Content.FreshenAge = value;
    }

    /// <summary>
    /// The protectedSince of a write: it began at <paramref name="since"/> (before it read or
    /// stored anything it references) or relies on a reused chunk touched then (<see cref="Chunking.ContentInfo.ReliesOnSince"/>).
    /// </summary>
    public static long ProtectedSince(DateTimeOffset since) => since.ToUnixTimeMilliseconds();

    /// <summary>Learns the published GC cutoff after a write was refused, so that retries freshen what they reuse.</summary>
    public async Task<long> RefreshCutoffAsync(CancellationToken ct)
    {
        var c = await meta.GetGcCutoffAsync(ct).ConfigureAwait(false);
        _knownCutoff = Math.Max(_knownCutoff, c);
        Content.KnownCutoffUnixMs = _knownCutoff;
        return _knownCutoff;
    }

    private long _knownCutoff;
    public MultipartUploads Uploads => _uploads ??= new MultipartUploads(this, clock);
    public Maintenance.Retention Retention => _retention ??= new Maintenance.Retention(meta, Commits, clock);
    private Maintenance.Retention? _retention;
    private MultipartUploads? _uploads;
    /// <summary>Permanent deletes of versions.</summary>
    public Purger Purges => _purger ??= new Purger(this, _clock);
    private Purger? _purger;

    public Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(CancellationToken ct) => meta.ListBranchesAsync(ct);

    public Task<bool> CreateBranchAsync(string repo, string branch, CancellationToken ct)
    {
        RequireNames(repo, branch);
        return meta.CreateBranchAsync(repo, branch, null, _clock.GetUtcNow(), ct);
    }

    public async Task DeleteBranchAsync(string repo, string branch, CancellationToken ct)
    {
        if (!await meta.DeleteBranchAsync(repo, branch, ct).ConfigureAwait(false))
            throw new StrataException(StoreError.NoSuchBranch, $"branch {branch} of repo {repo} does not exist");
        // A bucket made again later under the same name must not inherit the old one's CORS rules or tags.
        await meta.DeleteBucketConfigsAsync(repo, branch, ct).ConfigureAwait(false);
    }

    public async Task<BranchInfo> GetBranchAsync(string repo, string branch, CancellationToken ct) =>
        Observe(await meta.GetBranchAsync(repo, branch, ct).ConfigureAwait(false))
        ?? throw new StrataException(StoreError.NoSuchBranch, $"branch {branch} of repo {repo} does not exist");

    private readonly ConcurrentDictionary<string, long> _purgesSeen = new();

    /// <summary>
    /// Drops the commit cache when a branch read shows a purge rewrote commits of its repo since this
    /// process last looked (on any node: the count is in the shared metadata store).
    /// </summary>
    internal BranchInfo? Observe(BranchInfo? br)
    {
        if (br is null) return null;
        var seen = _purgesSeen.GetOrAdd(br.Repo, -1);
        if (seen != br.Purges && _purgesSeen.TryUpdate(br.Repo, br.Purges, seen) && (seen >= 0 || br.Purges > 0)) Commits.Forget();
        return br;
    }

    /// <summary>
    /// After this process stored a purge that set the repo's purge count to <paramref name="count"/>: the
    /// cached commits take their new roots, and unless another purge came between, nothing else is dropped.
    /// </summary>
    internal void PurgedHere(string repo, long count, IEnumerable<RootRewrite> rewrites)
    {
        Commits.Rewrote(rewrites);
        var seen = _purgesSeen.GetOrAdd(repo, -1);
        if (!(seen == count - 1 && _purgesSeen.TryUpdate(repo, count, seen)))
        {
            _purgesSeen[repo] = count;
            Commits.Forget();
        }
    }

    /// <summary>What a reader of the bucket sees now: the branch head, or the pinned snapshot commit.</summary>
    public async Task<Snapshot> OpenAsync(BucketRef bucket, CancellationToken ct)
    {
        if (bucket is { Snapshot: { } commit, Branch.Length: 0 }) bucket = bucket with { Branch = await BranchHoldingAsync(bucket.Repo, commit, ct).ConfigureAwait(false) };
        var br = await GetBranchAsync(bucket.Repo, bucket.Branch, ct).ConfigureAwait(false);
        var head = br.Head is null ? null : await Commits.GetAsync(br.Head, ct).ConfigureAwait(false);
        if (bucket.Snapshot is null) return new Snapshot(bucket, head) { Floor = br.Floor, MayHaveObjectTags = br.MayHaveObjectTags };
        var pinned = await Commits.GetAsync(bucket.Snapshot, ct).ConfigureAwait(false);
        if (pinned is null || head is null || pinned.Repo != bucket.Repo || pinned.Height < br.Floor || !await Commits.IsAncestorAsync(head, pinned, ct).ConfigureAwait(false))
            throw new StrataException(StoreError.NoSuchBranch, $"commit {bucket.Snapshot} is not on branch {bucket.Branch} of repo {bucket.Repo}");
        return new Snapshot(bucket, pinned) { Floor = br.Floor, MayHaveObjectTags = br.MayHaveObjectTags };
    }

    /// <summary>A branch of the repo whose readable history holds the commit (for a &lt;commit&gt;.&lt;repo&gt; bucket); NoSuchBranch if none.</summary>
    private async Task<string> BranchHoldingAsync(string repo, string commitId, CancellationToken ct)
    {
        if (await Commits.GetAsync(commitId, ct).ConfigureAwait(false) is { } commit && commit.Repo == repo)
            foreach (var b in await meta.ListBranchesAsync(ct).ConfigureAwait(false))
                if (b.Repo == repo && b.Head is not null && commit.Height >= b.Floor && await Commits.GetAsync(b.Head, ct).ConfigureAwait(false) is { } head
                    && await Commits.IsAncestorAsync(head, commit, ct).ConfigureAwait(false))
                    return b.Name;
        throw new StrataException(StoreError.NoSuchBranch, $"commit {commitId} is not in the history of any branch of repo {repo}");
    }

    /// <summary>
    /// Resolves a version expression (commit id, HEAD^, master~3, branch.1, ...) against a
    /// bucket. Only commits in the history of the bucket's commit are versions of it.
    /// </summary>
    public async Task<CommitInfo> ResolveVersionAsync(Snapshot snap, string version, CancellationToken ct)
    {
        var expr = VersionExpr.Parse(version)
            ?? throw new StrataException(StoreError.InvalidVersion, $"'{version}' is not a commit id or ancestry expression");
        CommitInfo? start = null;
        if (CommitId.IsValid(expr.Base))
            start = await Commits.GetAsync(expr.Base, ct).ConfigureAwait(false);
        if (start is null && expr.IsHead)
            start = snap.Commit;
        else if (start is null && Names.IsValidName(expr.Base))
        {
            var br = Observe(await meta.GetBranchAsync(snap.Bucket.Repo, expr.Base, ct).ConfigureAwait(false));
            if (br?.Head is not null) start = await Commits.GetAsync(br.Head, ct).ConfigureAwait(false);
        }
        if (start is not null && start.Repo == snap.Bucket.Repo)
        {
            var height = expr.FromFirst ?? start.Height - expr.Back;
            var target = await Commits.AncestorAtAsync(start, height, ct).ConfigureAwait(false);
            if (target is not null && snap.Commit is not null && await Commits.IsAncestorAsync(snap.Commit, target, ct).ConfigureAwait(false))
                return target;
        }
        throw new StrataException(StoreError.NoSuchVersion, $"version '{version}' is not in the history of {snap.Bucket}");
    }

    /// <summary>
    /// Resolves a reference within a repo: a branch (its head), a commit id, either followed by
    /// ancestry (<c>master^</c>, <c>abc...~3</c>), or <c>branch.N</c>. Null for a branch without commits.
    /// </summary>
    public async Task<CommitInfo?> ResolveRefAsync(string repo, string reference, CancellationToken ct)
    {
        var expr = VersionExpr.Parse(reference)
            ?? throw new StrataException(StoreError.InvalidVersion, $"'{reference}' is not a branch, commit id or ancestry expression");
        CommitInfo? start = null;
        if (CommitId.IsValid(expr.Base) && await Commits.GetAsync(expr.Base, ct).ConfigureAwait(false) is { } c && c.Repo == repo)
            start = c;
        else
        {
            var br = Observe(await meta.GetBranchAsync(repo, expr.Base, ct).ConfigureAwait(false))
                ?? throw new StrataException(StoreError.NoSuchVersion, $"'{expr.Base}' is neither a branch nor a commit of repo {repo}");
            if (br.Head is null)
                return expr.Back == 0 && expr.FromFirst is null ? null : throw new StrataException(StoreError.NoSuchVersion, $"branch {expr.Base} has no commits");
            start = await Commits.GetAsync(br.Head, ct).ConfigureAwait(false);
        }
        var height = expr.FromFirst ?? start!.Height - expr.Back;
        var target = await Commits.AncestorAtAsync(start!, height, ct).ConfigureAwait(false)
            ?? throw new StrataException(StoreError.NoSuchVersion, $"'{reference}' goes past the first commit");
        if (await IsSquashedAsync(repo, target, ct).ConfigureAwait(false))
            throw new StrataException(StoreError.NoSuchVersion, $"'{reference}' is older than what the repo's retention keeps");
        return target;
    }

    /// <summary>A commit below the history floor of every branch whose history holds it (one on no branch is not).</summary>
    public async Task<bool> IsSquashedAsync(string repo, CommitInfo commit, CancellationToken ct)
    {
        var branches = (await meta.ListBranchesAsync(ct).ConfigureAwait(false)).Where(b => b.Repo == repo).ToList();
        if (branches.All(b => b.Floor <= commit.Height)) return false; // no retention reaches this far back: no ancestry walks
        var onSome = false;
        foreach (var b in branches)
        {
            if (b.Head is null || await Commits.GetAsync(b.Head, ct).ConfigureAwait(false) is not { } head) continue;
            if (!await Commits.IsAncestorAsync(head, commit, ct).ConfigureAwait(false)) continue;
            if (commit.Height >= b.Floor) return false;
            onSome = true;
        }
        return onSome;
    }

    /// <summary>Creates a branch whose head is an existing commit of the repo (or empty).</summary>
    public async Task<bool> CreateBranchAtAsync(string repo, string branch, CommitInfo? head, CancellationToken ct)
    {
        RequireNames(repo, branch);
        return await meta.CreateBranchAsync(repo, branch, head?.Id, _clock.GetUtcNow(), ct).ConfigureAwait(false);
    }

    public Task<FileEntry?> GetFileAsync(CommitInfo? commit, string key, CancellationToken ct) =>
        TreeReader.GetAsync(Nodes, commit?.Root, key, ct);

    /// <summary>
    /// A key as of a commit in a snapshot's history. Below the branch's history floor the commit's
    /// own tree is squashed away: the key is read from the floor commit, which has the same entry
    /// when the key has not changed since at or before that commit; otherwise null (NoSuchVersion).
    /// </summary>
    public async Task<FileEntry?> GetFileAsync(Snapshot snap, CommitInfo? commit, string key, CancellationToken ct)
    {
        if (commit is null || commit.Height >= snap.Floor || snap.Commit is null) return await GetFileAsync(commit, key, ct).ConfigureAwait(false);
        var floor = await Commits.AncestorAtAsync(snap.Commit, snap.Floor, ct).ConfigureAwait(false);
        var f = await GetFileAsync(floor, key, ct).ConfigureAwait(false);
        return f is not null && await Commits.GetAsync(f.CommitId, ct).ConfigureAwait(false) is { } wrote && wrote.Height <= commit.Height ? f : null;
    }

    public TreeCursor Cursor(CommitInfo? commit) => new(Nodes, commit?.Root);

    /// <summary>Makes one commit whose changes do not depend on the current tree.</summary>
    public Task<CommitInfo?> CommitAsync(BucketRef bucket, Func<string, long, IEnumerable<Mutation>> changes, string message, CancellationToken ct) =>
        CommitAsync(bucket, c => Task.FromResult(changes(c.Id, c.TimeUnixMs)), message, ct);

    /// <summary><see cref="CommitAsync(BucketRef, Func{CommitContext, Task{IEnumerable{Mutation}}}, string, DateTimeOffset, CancellationToken)"/> for a write that begins now.</summary>
    public Task<CommitInfo?> CommitAsync(BucketRef bucket, Func<CommitContext, Task<IEnumerable<Mutation>>> changes, string message, CancellationToken ct) =>
        CommitAsync(bucket, changes, message, _clock.GetUtcNow(), ct);

    /// <summary>
    /// Makes one commit on the branch head. <paramref name="changes"/> sees the head it builds on
    /// (to check preconditions atomically) and the new commit's id and time; it is called again
    /// if another writer moved the head first. Returns null when the tree is left as it was.
    /// Writers to one branch that arrive while a commit is being stored are folded into the next
    /// one (group commit): each still gets its own commit, chained one after another, but the
    /// chain is stored with one transaction and one compare-and-swap of the head.
    /// <paramref name="since"/> is when the write began, before it read or stored anything it references.
    /// </summary>
    public async Task<CommitInfo?> CommitAsync(BucketRef bucket, Func<CommitContext, Task<IEnumerable<Mutation>>> changes, string message,
        DateTimeOffset since, CancellationToken ct)
    {
        if (bucket.Snapshot is not null)
            throw new StrataException(StoreError.ReadOnlySnapshot, $"{bucket} is a read-only snapshot of commit {bucket.Snapshot}");
        ct.ThrowIfCancellationRequested();
        var queue = _queues.GetOrAdd(bucket.Repo + "/" + bucket.Branch, _ => new BranchQueue());
        var write = new PendingWrite(changes, message, ProtectedSince(since), ct);
        bool lead;
        TaskCompletionSource? waiting;
        lock (queue)
        {
            queue.Pending.Add(write);
            lead = !queue.Draining;
            queue.Draining = true;
            (waiting, queue.Waiting) = (queue.Waiting, null);
        }
        waiting?.TrySetResult(); // a drain building ahead while it stores wants this writer too
        // The drain runs on its own, so that no writer's request waits for other writers' batches.
        if (lead) _ = Task.Run(() => DrainAsync(bucket, queue), CancellationToken.None);
        return await write.Done.Task.ConfigureAwait(false);
    }

    private const int MaxGroup = 128;

    private async Task DrainAsync(BucketRef bucket, BranchQueue queue)
    {
        (List<PendingWrite> Group, Chain? Chain)? carried = null;
        while (true)
        {
            List<PendingWrite> group;
            Chain? ready = null;
            if (carried is { } c) (group, ready) = c;
            else
            {
                lock (queue)
                {
                    // Emptiness and the end of draining under one lock: a writer arriving after it starts a drain.
                    if (TakePending(queue) is not { } taken)
                    {
                        queue.Draining = false;
                        return;
                    }
                    group = taken;
                }
            }
            carried = null;
            var gate = BranchGate(bucket.Repo, bucket.Branch);
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                carried = await CommitGroupAsync(bucket, group, ready, queue).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                foreach (var w in group) w.Done.TrySetException(e);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>
    /// Stores one group's chain of commits (<paramref name="ready"/> if it was built already) and, while
    /// it is being stored, builds the writers that queued up meanwhile on top of it: the next group and
    /// its chain are returned for the caller to store next (pipelined group commit).
    /// </summary>
    private async Task<(List<PendingWrite>, Chain?)?> CommitGroupAsync(BucketRef bucket, List<PendingWrite> group, Chain? ready, BranchQueue queue)
    {
        // The gate serializes this process's writers to the branch; writers on other nodes sharing
        // the metadata store still race on the head, so a loser retries (rebuilding its changes on
        // the new head costs O(k log n) each) with jittered backoff until a generous deadline.
        var deadline = _clock.GetUtcNow() + CommitRetryBudget;
        var ct = CancellationToken.None; // the group's I/O serves every writer in it; each writer's own token guards its changes
        for (var attempt = 0; ; attempt++)
        {
            var count = group.Count;
            group.RemoveAll(w => w.Done.Task.IsCompleted || (w.Ct.IsCancellationRequested && w.Done.TrySetCanceled(w.Ct))
                || (w.ProtectedSince < _knownCutoff && w.Done.TrySetException(StrataException.GcExpired())));
            if (group.Count != count) ready = null; // it holds a writer that is gone: build again
            if (group.Count == 0) return null;
            if (attempt > 0 && _clock.GetUtcNow() >= deadline) break;
            if (await meta.GetOpenCommitAsync(bucket.Repo, bucket.Branch, ct).ConfigureAwait(false) is { } open)
            {
                // An explicit commit is open: writes join it, one at a time, and stay invisible until it is finished.
                ready = null;
                var w = group[0];
                try
                {
                    var staged = await StageAsync(open, w.Changes, w.ProtectedSince, w.Ct).ConfigureAwait(false);
                    if (staged.Done) w.Done.TrySetResult(staged.Commit);
                }
                catch (Exception e)
                {
                    if (e is StrataException { Error: StoreError.GcExpired }) await RefreshCutoffAsync(ct).ConfigureAwait(false);
                    w.Done.TrySetException(e);
                }
                continue;
            }
            var chain = ready;
            ready = null;
            if (chain is null)
            {
                var br = await GetBranchAsync(bucket.Repo, bucket.Branch, ct).ConfigureAwait(false);
                var head = br.Head is null ? null : await Commits.GetAsync(br.Head, ct).ConfigureAwait(false);
                chain = await BuildChainAsync(bucket, group, head, ct).ConfigureAwait(false);
            }
            var nodes = await chain.SealAsync(ct).ConfigureAwait(false);
            var storing = chain.Own.Count == 0 ? Task.FromResult(true)
                : Task.Run(() => meta.TryCommitChainAsync(bucket.Branch, chain.Base?.Id, chain.Own, nodes, group.Min(w => w.ProtectedSince), ct), ct);
            // Meanwhile the writers that queued up are built on top of this chain: SQLite stores on a pool
            // thread, so building the next chain overlaps this one's transaction and fsync.
            // Every writer that arrives until the store ends joins the next group, as it would without
            // building ahead, so groups stay as large (and transactions as few) as they were.
            List<PendingWrite>? next = null;
            Chain? nextChain = null;
            // A full next group takes no more writers: the store is all there is left to wait for.
            while (chain.Own.Count > 0 && (next?.Count ?? 0) < MaxGroup)
            {
                Task arrival;
                lock (queue)
                {
                    if (queue.Pending.Count == 0)
                    {
                        queue.Waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        arrival = queue.Waiting.Task;
                    }
                    else arrival = Task.CompletedTask;
                }
                if (!arrival.IsCompleted && await Task.WhenAny(storing, arrival).ConfigureAwait(false) == storing) break;
                if (TakePending(queue, MaxGroup - (next?.Count ?? 0)) is not { } more) continue;
                next ??= [];
                next.AddRange(more);
                nextChain = await ExtendAheadAsync(bucket, chain, nextChain, next.Count == more.Count, more, ct).ConfigureAwait(false);
            }
            bool stored;
            try
            {
                stored = await storing.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Requeue(queue, next);
                if (e is not StrataException { Error: StoreError.GcExpired }) throw;
                // A collection started: the writes that began too long ago go, the rest try again.
                await RefreshCutoffAsync(ct).ConfigureAwait(false);
                continue;
            }
            if (stored)
            {
                if (chain.Own.Count > 0)
                {
                    StoreMetrics.Commits.Add(chain.Own.Count);
                    StoreMetrics.GroupSize.Record(chain.Own.Count);
                }
                foreach (var (w, commit, error) in chain.Outcomes)
                    if (error is null) w.Done.TrySetResult(commit); else w.Done.TrySetException(error);
                if (next is not null && next.Count < MaxGroup && TakePending(queue, MaxGroup - next.Count) is { } last)
                {
                    next.AddRange(last);
                    nextChain = await ExtendAheadAsync(bucket, chain, nextChain, false, last, ct).ConfigureAwait(false);
                }
                return next is null ? null : (next, nextChain);
            }
            Requeue(queue, next);
            StoreMetrics.CasRetries.Add(1);
            await Task.Delay(Random.Shared.Next(1, 2 + Math.Min(attempt, 10) * 5), ct).ConfigureAwait(false);
        }
        foreach (var w in group)
            w.Done.TrySetException(new StrataException(StoreError.ConflictRetriesExhausted, "too many concurrent writers on this branch; try again"));
        return null;
    }

    private async Task<Chain> BuildChainAsync(BucketRef bucket, List<PendingWrite> group, CommitInfo? head, CancellationToken ct)
    {
        var chain = new Chain(head, [], new TreeWriter(Nodes));
        await ExtendAsync(bucket, chain, group, ct).ConfigureAwait(false);
        return chain;
    }

    /// <summary>
    /// Builds writers on top of <paramref name="storing"/> while it is being stored: a new chain for the
    /// first of them, then the same chain extended. Null (built again on the stored head when its turn
    /// comes) once building ahead failed.
    /// </summary>
    private async Task<Chain?> ExtendAheadAsync(BucketRef bucket, Chain storing, Chain? ahead, bool first, List<PendingWrite> writers, CancellationToken ct)
    {
        if (ahead is null && !first) return null;
        try
        {
            ahead ??= new Chain(storing.Base, storing.Own, new TreeWriter(Nodes, storing.Trees.Writer.NewNodes));
            await ExtendAsync(bucket, ahead, writers, ct).ConfigureAwait(false);
            return ahead;
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>Chains a commit for each writer onto the last commit of <paramref name="chain"/>.</summary>
    private async Task ExtendAsync(BucketRef bucket, Chain chain, List<PendingWrite> writers, CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        var trees = chain.Trees;
        var parent = chain.Own.Count > 0 ? chain.Own[^1].Commit : chain.Base;
        foreach (var w in writers)
        {
            var context = new CommitContext(this, CommitId.New(), now.ToUnixTimeMilliseconds(), parent, w.Ct, trees);
            List<Mutation> mutations;
            try
            {
                mutations = (await w.Changes(context).ConfigureAwait(false)).ToList();
            }
            catch (Exception e)
            {
                // This writer's precondition or input failed on this head; the others go on.
                chain.Outcomes.Add((w, null, e));
                continue;
            }
            if (!await trees.ApplyAsync(context.Id, mutations, mutations.Any(m => m.Marker), ct).ConfigureAwait(false))
            {
                chain.Outcomes.Add((w, null, null));
                continue;
            }
            var skip = await SkipInChainAsync(chain.Head, chain, parent, ct).ConfigureAwait(false);
            // The root is known once the chain is sealed (see ChainTrees): until then the commit's tree is read through the chain.
            var commit = new CommitInfo(context.Id, bucket.Repo, parent?.Id, null, (parent?.Height ?? 0) + 1, skip, now, w.Message);
            chain.Own.Add(new NewCommit(commit, VersionRows(mutations, commit)) { Base = chain.Own.Count == 0 ? new ParentRoot(chain.Base?.Root) : null });
            chain.Outcomes.Add((w, commit, null));
            parent = commit;
        }
    }

    /// <summary>
    /// One group's commits (<see cref="Own"/>), built on a stored head followed by <see cref="Prior"/>: the
    /// commits of the chain being stored when this one was built (empty when built on the stored head).
    /// </summary>
    private sealed class Chain(CommitInfo? head, IReadOnlyList<NewCommit> prior, TreeWriter writer)
    {
        private ChainTrees? _trees;

        public CommitInfo? Head => head;
        public IReadOnlyList<NewCommit> Prior => prior;
        public List<NewCommit> Own { get; } = [];
        public ChainTrees Trees => _trees ??= new(writer, Base?.Root);
        public List<(PendingWrite Write, CommitInfo? Commit, Exception? Error)> Outcomes { get; } = [];

        /// <summary>The commit this chain builds on: the branch head it expects when it is stored.</summary>
        public CommitInfo? Base => prior.Count > 0 ? prior[^1].Commit : head;

        /// <summary>
        /// Gives the commits their roots (overlays before the last: see <see cref="ChainTrees"/>) and returns
        /// the nodes to store. Called once, when the chain is about to be stored: nothing is built on it after.
        /// </summary>
        public async Task<IReadOnlyCollection<KeyValuePair<Hash, byte[]>>> SealAsync(CancellationToken ct)
        {
            if (Own.Count == 0) return [];
            var (roots, nodes) = await Trees.SealAsync(ct).ConfigureAwait(false);
            var sealedCommits = new Dictionary<string, CommitInfo>(StringComparer.Ordinal);
            for (var i = 0; i < Own.Count; i++)
            {
                var c = Own[i].Commit with { Root = roots[i] };
                Own[i] = Own[i] with { Commit = c };
                sealedCommits[c.Id] = c;
            }
            for (var i = 0; i < Outcomes.Count; i++)
                if (Outcomes[i].Commit is { } c && sealedCommits.TryGetValue(c.Id, out var s)) Outcomes[i] = Outcomes[i] with { Commit = s };
            return nodes;
        }
    }

    private static List<PendingWrite>? TakePending(BranchQueue queue, int max = MaxGroup)
    {
        lock (queue)
        {
            if (queue.Pending.Count == 0 || max <= 0) return null;
            var group = queue.Pending.GetRange(0, Math.Min(max, queue.Pending.Count));
            queue.Pending.RemoveRange(0, group.Count);
            return group;
        }
    }

    // Writers taken for a chain that will not be stored go back to the front of the queue, in order.
    private static void Requeue(BranchQueue queue, List<PendingWrite>? group)
    {
        if (group is null) return;
        lock (queue) queue.Pending.InsertRange(0, group);
    }

    /// <summary>The skip pointer of a commit whose parent is the last of a chain not yet stored on top of head.</summary>
    private async Task<string?> SkipInChainAsync(CommitInfo? head, Chain chain, CommitInfo? parent, CancellationToken ct)
    {
        if (parent is null) return null;
        var target = CommitGraph.SkipTargetHeight(parent.Height);
        var stored = head?.Height ?? 0;
        if (target <= stored) return (await Commits.AncestorAtAsync(head!, target, ct).ConfigureAwait(false))?.Id;
        var i = (int)(target - stored - 1);
        return (i < chain.Prior.Count ? chain.Prior[i] : chain.Own[i - chain.Prior.Count]).Commit.Id;
    }

    private static List<VersionRow> VersionRows(List<Mutation> mutations, CommitInfo commit) =>
        mutations.GroupBy(m => m.Key).Select(g => g.Last()).Select(m => m.Value is { } v
            ? new VersionRow(m.Key, commit.Id, commit.Height, false, v.Size, v.ETag, v.ModifiedUnixMs) { Tags = m.Tags is { Count: > 0 } ? m.Tags : null }
            : new VersionRow(m.Key, commit.Id, commit.Height, true, 0, "", commit.TimeUnixMs)).ToList();

    internal SemaphoreSlim BranchGate(string repo, string branch) => _branchLocks.GetOrAdd(repo + "/" + branch, _ => new SemaphoreSlim(1, 1));

    private sealed class BranchQueue
    {
        public readonly List<PendingWrite> Pending = [];
        public bool Draining;
        /// <summary>Completed by the next writer to arrive (set by a drain that builds ahead while it stores).</summary>
        public TaskCompletionSource? Waiting;
    }

    private sealed class PendingWrite(Func<CommitContext, Task<IEnumerable<Mutation>>> changes, string message, long protectedSince, CancellationToken ct)
    {
        public Func<CommitContext, Task<IEnumerable<Mutation>>> Changes => changes;
        public string Message => message;
        public long ProtectedSince => protectedSince;
        public CancellationToken Ct => ct;
        public TaskCompletionSource<CommitInfo?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async Task<(bool Done, CommitInfo? Commit)> StageAsync(OpenCommit open, Func<CommitContext, Task<IEnumerable<Mutation>>> changes,
        long protectedSince, CancellationToken ct)
    {
        var @base = open.Base is null ? null : await Commits.GetAsync(open.Base, ct).ConfigureAwait(false);
        // Changes see the open commit's tree, as they will once it is finished.
        var view = new CommitInfo(open.Id, open.Repo, open.Base, open.Root, (@base?.Height ?? 0) + 1, null, open.Started, "open");
        var context = new CommitContext(this, open.Id, _clock.GetUtcNow().ToUnixTimeMilliseconds(), view, ct);
        var writer = new TreeWriter(Nodes);
        var root = await writer.ApplyAsync(open.Root, await changes(context).ConfigureAwait(false), ct).ConfigureAwait(false);
        if (root == open.Root) return (true, null);
        if (!await meta.TryUpdateOpenCommitAsync(open, open.Root, root, writer.NewNodes, protectedSince, ct).ConfigureAwait(false)) return (false, null);
        return (true, view with { Root = root });
    }

    /// <summary>Opens an explicit commit on a branch: until it is finished, writes to the branch go into it and readers see the head.</summary>
    public async Task<OpenCommit> StartCommitAsync(string repo, string branch, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var br = await GetBranchAsync(repo, branch, ct).ConfigureAwait(false);
            var head = br.Head is null ? null : await Commits.GetAsync(br.Head, ct).ConfigureAwait(false);
            var open = new OpenCommit(CommitId.New(), repo, branch, br.Head, head?.Root, _clock.GetUtcNow());
            if (!await meta.StartCommitAsync(open, ct).ConfigureAwait(false))
                throw new StrataException(StoreError.CommitOpen, $"branch {branch} of repo {repo} already has an open commit");
            // A purge refuses while a commit is open, but one stored between the read above and the start
            // rewrote the root this commit builds on: start again on the new one.
            if ((await GetBranchAsync(repo, branch, ct).ConfigureAwait(false)).Purges == br.Purges) return open;
            await meta.AbandonCommitAsync(repo, branch, open.Id, ct).ConfigureAwait(false);
            if (attempt >= 10) throw new StrataException(StoreError.ConflictRetriesExhausted, "purges kept rewriting the branch while starting a commit; try again");
        }
    }

    /// <summary>
    /// The files an open commit wrote carry their write time; finished, they were all modified when
    /// the commit was made (S3's LastModified, which sync tools compare), so they are re-stamped
    /// with the finish time first. Costs the size of the change, like the version rows.
    /// </summary>
    private async Task<OpenCommit> StampFinishTimeAsync(OpenCommit open, Hash? baseRoot, DateTimeOffset now, CancellationToken ct)
    {
        var ms = now.ToUnixTimeMilliseconds();
        var stamps = new List<Mutation>();
        await foreach (var ch in TreeDiff.DiffAsync(Nodes, baseRoot, open.Root, ct).ConfigureAwait(false))
            if (ch.New is { } f && f.CommitId == open.Id && f.ModifiedUnixMs != ms) stamps.Add(new Mutation(ch.Key, f with { ModifiedUnixMs = ms }));
        if (stamps.Count == 0) return open;
        var writer = new TreeWriter(Nodes);
        var root = await writer.ApplyAsync(open.Root, stamps, ct).ConfigureAwait(false);
        if (!await meta.TryUpdateOpenCommitAsync(open, open.Root, root, writer.NewNodes, ProtectedSince(now), ct).ConfigureAwait(false))
            throw new StrataException(StoreError.ConflictRetriesExhausted, "the commit changed while finishing; try again");
        return open with { Root = root };
    }

    /// <summary>Finishes the branch's open commit: all its changes become visible at once, as one commit.</summary>
    public async Task<CommitInfo> FinishCommitAsync(string repo, string branch, string? message, CancellationToken ct)
    {
        var gate = BranchGate(repo, branch);
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var open = await meta.GetOpenCommitAsync(repo, branch, ct).ConfigureAwait(false)
                ?? throw new StrataException(StoreError.NoOpenCommit, $"branch {branch} of repo {repo} has no open commit");
            var now = _clock.GetUtcNow();
            var @base = open.Base is null ? null : await Commits.GetAsync(open.Base, ct).ConfigureAwait(false);
            open = await StampFinishTimeAsync(open, @base?.Root, now, ct).ConfigureAwait(false);
            var commit = new CommitInfo(open.Id, repo, open.Base, open.Root, (@base?.Height ?? 0) + 1,
                await Commits.SkipForChildAsync(@base, ct).ConfigureAwait(false), now, message ?? "explicit commit");
            // The version index learns the changed keys from a diff: it costs the size of the change.
            var versions = await TreeDiff.VersionRowsAsync(Nodes, @base?.Root, commit, ct).ConfigureAwait(false);
            if (!await meta.TryFinishCommitAsync(open, commit, versions, ProtectedSince(now), ct).ConfigureAwait(false))
                throw new StrataException(StoreError.ConflictRetriesExhausted, "the branch moved or the commit changed while finishing; try again");
            StoreMetrics.Commits.Add(1);
            return commit;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task AbandonCommitAsync(string repo, string branch, CancellationToken ct)
    {
        var open = await meta.GetOpenCommitAsync(repo, branch, ct).ConfigureAwait(false)
            ?? throw new StrataException(StoreError.NoOpenCommit, $"branch {branch} of repo {repo} has no open commit");
        await meta.AbandonCommitAsync(repo, branch, open.Id, ct).ConfigureAwait(false);
    }

    private static void RequireNames(string repo, string branch)
    {
        if (!Names.IsValidName(repo) || !Names.IsValidName(branch))
            throw new StrataException(StoreError.InvalidName, "repo and branch names are 1-63 characters of [A-Za-z0-9_-]");
    }
}

/// <summary>What a commit's change function sees: the new commit's id and time, and the head it builds on.</summary>
public sealed class CommitContext(VersionedStore store, string id, long timeUnixMs, CommitInfo? head, CancellationToken ct, ChainTrees? chain = null)
{
    public string Id => id;
    public long TimeUnixMs => timeUnixMs;
    public CommitInfo? Head => head;

    // In a group commit the head may be an earlier commit of the same chain, not stored yet (its tree
    // is not built yet either): it is read through the chain, which holds its changes.
    public Task<FileEntry?> GetAsync(string key) =>
        chain is null ? store.GetFileAsync(head, key, ct) : chain.GetAsync(key, ct);
}
