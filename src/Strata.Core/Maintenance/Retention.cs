using System.Text.Json;
using Strata.Core.Storage;

namespace Strata.Core.Maintenance;

/// <summary>A repo's history retention: keep commits younger than KeepDays or among the last KeepLast of a branch (either keeps a commit); null: no limit of that kind.</summary>
public sealed record RetentionPolicy(int? KeepLast, double? KeepDays)
{
    public bool KeepsEverything => KeepLast is null && KeepDays is null;
}

/// <summary>
/// History retention, opt-in per repo. Applying a policy raises each branch's history floor: the
/// commits below it are squashed out of the branch's history (their rows stay, as links of the
/// parent chain, but their trees are no longer roots), the versions only they held become garbage
/// for the next collection, and what they wrote that is still current stays readable through the
/// floor commit. Floors only rise.
/// </summary>
public sealed class Retention(IMetadataStore meta, CommitGraph commits, TimeProvider? clock = null)
{
    private static string Key(string repo) => "retention:" + repo;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public async Task<RetentionPolicy?> GetAsync(string repo, CancellationToken ct) =>
        await meta.GetSettingAsync(Key(repo), ct).ConfigureAwait(false) is { Length: > 0 } json ? JsonSerializer.Deserialize<RetentionPolicy>(json) : null;

    public Task SetAsync(string repo, RetentionPolicy policy, CancellationToken ct)
    {
        if (policy.KeepLast is < 1) throw new StrataException(StoreError.InvalidVersion, "keep-last must be at least 1");
        if (policy.KeepDays is < 0) throw new StrataException(StoreError.InvalidVersion, "keep-days must not be negative");
        return meta.SetSettingAsync(Key(repo), policy.KeepsEverything ? "" : JsonSerializer.Serialize(policy), ct);
    }

    /// <summary>Applies every repo's policy; returns how many branch floors rose.</summary>
    public async Task<int> ApplyAllAsync(CancellationToken ct)
    {
        var raised = 0;
        foreach (var repo in (await meta.ListBranchesAsync(ct).ConfigureAwait(false)).Select(b => b.Repo).Distinct())
            raised += await ApplyAsync(repo, ct).ConfigureAwait(false);
        return raised;
    }

    public async Task<int> ApplyAsync(string repo, CancellationToken ct)
    {
        if (await GetAsync(repo, ct).ConfigureAwait(false) is not { KeepsEverything: false } policy) return 0;
        var raised = 0;
        foreach (var b in (await meta.ListBranchesAsync(ct).ConfigureAwait(false)).Where(b => b.Repo == repo))
        {
            if (b.Head is null || await commits.GetAsync(b.Head, ct).ConfigureAwait(false) is not { } head) continue;
            var floor = await FloorAsync(head, policy, ct).ConfigureAwait(false);
            if (floor <= Math.Max(1, b.Floor)) continue;
            var below = await commits.AncestorAtAsync(head, floor - 1, ct).ConfigureAwait(false);
            if (below is not null && await meta.RaiseBranchFloorAsync(repo, b.Name, floor, below.Id, ct).ConfigureAwait(false)) raised++;
        }
        return raised;
    }

    /// <summary>The lowest height either rule keeps (commit times rise along a branch, so the days rule is a binary search by height).</summary>
    private async Task<long> FloorAsync(CommitInfo head, RetentionPolicy p, CancellationToken ct)
    {
        var byLast = p.KeepLast is { } n ? Math.Max(1, head.Height - n + 1) : long.MaxValue;
        var byDays = long.MaxValue;
        if (p.KeepDays is { } days)
        {
            var since = _clock.GetUtcNow() - TimeSpan.FromDays(days);
            long lo = 1, hi = head.Height + 1; // the first height whose commit is at or after since
            while (lo < hi)
            {
                var mid = lo + (hi - lo) / 2;
                var c = await commits.AncestorAtAsync(head, mid, ct).ConfigureAwait(false);
                if (c!.Time >= since) hi = mid; else lo = mid + 1;
            }
            byDays = Math.Min(lo, head.Height); // the head itself is always kept
        }
        return Math.Min(byLast, byDays);
    }
}
