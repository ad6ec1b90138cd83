using System.Collections.Concurrent;
using Strata.Core.Storage;

namespace Strata.Core;

/// <summary>
/// Commit lookups and ancestry. Each commit stores a skip pointer (the scheme of Bitcoin's
/// CBlockIndex::pskip) so that the ancestor at any height is reached in O(log N) reads instead
/// of walking the whole history. Commits are immutable but for a purge's rewrite of a root,
/// so they are cached until a branch read shows a purge happened (<see cref="Forget"/>).
/// </summary>
public sealed class CommitGraph(IMetadataStore meta)
{
    private readonly ConcurrentDictionary<string, CommitInfo> _cache = new();

    public async Task<CommitInfo?> GetAsync(string id, CancellationToken ct)
    {
        if (_cache.TryGetValue(id, out var c)) return c;
        c = await meta.GetCommitAsync(id, ct).ConfigureAwait(false);
        if (c is not null)
        {
            if (_cache.Count > 100_000) _cache.Clear();
            _cache[id] = c;
        }
        return c;
    }

    /// <summary>Drops every cached commit: a purge rewrote some roots (see <see cref="BranchInfo.Purges"/>).</summary>
    public void Forget() => _cache.Clear();

    /// <summary>Gives cached commits the roots a purge of this process just stored.</summary>
    public void Rewrote(IEnumerable<RootRewrite> rewrites)
    {
        foreach (var r in rewrites)
            if (_cache.TryGetValue(r.CommitId, out var c)) _cache[r.CommitId] = c with { Root = r.NewRoot };
    }

    private async Task<CommitInfo> MustGetAsync(string id, CancellationToken ct) =>
        await GetAsync(id, ct).ConfigureAwait(false) ?? throw new StrataException(StoreError.Corrupt, $"commit {id} is missing");

    // Heights start at 1; the skip-list arithmetic below works on 0-based heights.
    private static long InvertLowestOne(long n) => n & (n - 1);

    private static long SkipHeight0(long h0) =>
        h0 < 2 ? 0 : (h0 & 1) != 0 ? InvertLowestOne(InvertLowestOne(h0 - 1)) + 1 : InvertLowestOne(h0);

    /// <summary>The 1-based height a new commit's skip pointer targets, given its parent's height.</summary>
    public static long SkipTargetHeight(long parentHeight) => SkipHeight0(parentHeight) + 1; // the child's 0-based height is parentHeight

    /// <summary>The skip pointer for a new commit whose parent is <paramref name="parent"/>.</summary>
    public async Task<string?> SkipForChildAsync(CommitInfo? parent, CancellationToken ct)
    {
        if (parent is null) return null;
        return (await AncestorAtAsync(parent, SkipTargetHeight(parent.Height), ct).ConfigureAwait(false))?.Id;
    }

    /// <summary>The ancestor of c (or c itself) at the given 1-based height; null if out of range.</summary>
    public Task<CommitInfo?> AncestorAtAsync(CommitInfo c, long height, CancellationToken ct) => AncestorAtAsync(c, height, null, ct);

    /// <summary>As <see cref="AncestorAtAsync(CommitInfo, long, CancellationToken)"/>, telling <paramref name="visited"/> every ancestor the walk passes.</summary>
    public async Task<CommitInfo?> AncestorAtAsync(CommitInfo c, long height, Action<CommitInfo>? visited, CancellationToken ct)
    {
        if (height < 1 || height > c.Height) return null;
        var walk = c;
        while (walk.Height > height)
        {
            var h0 = walk.Height - 1;
            var t0 = height - 1;
            var hs = SkipHeight0(h0);
            var hsPrev = SkipHeight0(h0 - 1);
            if (walk.Skip is not null && (hs == t0 || (hs > t0 && !(hsPrev < hs - 2 && hsPrev >= t0))))
                walk = await MustGetAsync(walk.Skip, ct).ConfigureAwait(false);
            else
                walk = await MustGetAsync(walk.Parent!, ct).ConfigureAwait(false);
            visited?.Invoke(walk);
        }
        return walk;
    }

    /// <summary>
    /// Finds ancestors of one commit at many heights, in any order. Every commit a walk passes is an
    /// ancestor (each commit has one parent, so there is one ancestor per height); a walk starts from
    /// a known ancestor a little above its target when there is one (the walks of a version
    /// listing's earlier rows pass close to the later ones), else from the last one found if it is
    /// above, else from the commit: a few steps per row instead of O(log history).
    /// </summary>
    public sealed class Ancestors(CommitGraph graph, CommitInfo of)
    {
        private const int MaxKnown = 200_000;
        private const int Probe = 64;
        private readonly Dictionary<long, CommitInfo> _known = [];
        private CommitInfo? _last;

        public CommitInfo Of => of;

        public async Task<CommitInfo?> AtAsync(long height, CancellationToken ct)
        {
            if (height < 1 || height > of.Height) return null;
            var from = _last is not null && _last.Height >= height ? _last : of;
            for (var h = height; h < height + Probe && h < from.Height; h++)
                if (_known.TryGetValue(h, out var near))
                {
                    from = near;
                    break;
                }
            _last = await graph.AncestorAtAsync(from, height, Remember, ct).ConfigureAwait(false);
            return _last;
        }

        private void Remember(CommitInfo c)
        {
            if (_known.Count < MaxKnown) _known.TryAdd(c.Height, c);
        }
    }

    public async Task<bool> IsAncestorAsync(CommitInfo descendant, CommitInfo candidate, CancellationToken ct) =>
        (await AncestorAtAsync(descendant, candidate.Height, ct).ConfigureAwait(false))?.Id == candidate.Id;
}
