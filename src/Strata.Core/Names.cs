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
    /// Why a bucket name may not be created through S3, or null when it may: S3's naming rules
    /// (3-63 characters; letters, digits, dots and hyphens; each dot-separated label starts and
    /// ends with a letter or digit) on top of Strata's structure. Repos and branches whose names
    /// hold an underscore (Pachyderm allows it) are made through the admin API and still served.
    /// </summary>
    public static string? NewBucketRuleBroken(string bucket)
    {
        if (bucket.Length is < 3 or > 63) return "Bucket names must be between 3 and 63 characters long.";
        if (bucket.AsSpan().ContainsAnyExcept(BucketChars)) return "Bucket names can consist only of letters, numbers, dots (.) and hyphens (-).";
        foreach (var label in bucket.Split('.'))
            if (label.Length == 0 || !char.IsAsciiLetterOrDigit(label[0]) || !char.IsAsciiLetterOrDigit(label[^1]))
                return "Each dot-separated part of a bucket name (branch and repo) must begin and end with a letter or number.";
        return ParseBucket(bucket) is null ? "Buckets are branch.repo (or repo, for master.repo)." : null;
    }

    private static readonly SearchValues<char> BucketChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");

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
            // <commit>.<repo> (Pachyderm 1.13's overload): a read-only snapshot; the store finds the branch that holds it.
            2 when CommitId.IsValid(parts[0]) => new BucketRef(parts[1], "", parts[0]),
            2 => new BucketRef(parts[1], parts[0], null),
            3 when CommitId.IsValid(parts[0]) => new BucketRef(parts[2], parts[1], parts[0]),
            _ => null,
        };
    }
}

/// <summary>A bucket: a branch of a repo, optionally pinned to one commit (a read-only snapshot).</summary>
public sealed record BucketRef(string Repo, string Branch, string? Snapshot)
{
    public override string ToString() => Snapshot is null ? $"{Branch}.{Repo}" : Branch.Length == 0 ? $"{Snapshot}.{Repo}" : $"{Snapshot}.{Branch}.{Repo}";
}
