using System.Buffers;

namespace Strata.Core;

/// <summary>Repo and branch names, and the S3 bucket names built from them.</summary>
public static class Names
{
    public const string DefaultBranch = "master";
    public const int MaxNameLength = 63;
    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

    public static bool IsValidName(ReadOnlySpan<char> name) =>
        name.Length is > 0 and <= MaxNameLength && !name.ContainsAnyExcept(Allowed);

    /// <summary>
    /// Parses <c>branch.repo</c>, a bare <c>repo</c> (= master.repo) or a snapshot <c>commit.branch.repo</c>.
    /// Returns null for anything else.
    /// </summary>
    public static BucketRef? ParseBucket(string bucket)
    {
        var parts = bucket.Split('.');
        foreach (var p in parts)
            if (!IsValidName(p)) return null;
        return parts.Length switch
        {
            1 => new BucketRef(parts[0], DefaultBranch, null),
            2 => new BucketRef(parts[1], parts[0], null),
            3 when CommitId.IsValid(parts[0]) => new BucketRef(parts[2], parts[1], parts[0]),
            _ => null,
        };
    }
}

/// <summary>A bucket: a branch of a repo, optionally pinned to one commit (a read-only snapshot).</summary>
public sealed record BucketRef(string Repo, string Branch, string? Snapshot)
{
    public override string ToString() => Snapshot is null ? $"{Branch}.{Repo}" : $"{Snapshot}.{Branch}.{Repo}";
}
