namespace Strata.Core.Storage;

/// <summary>The kinds of per-bucket configuration documents the S3 gateway keeps.</summary>
public static class BucketConfigKind
{
    public const string Cors = "cors";
    public const string Tagging = "tagging";
    /// <summary>Present once a client enabled versioning (S3 delete-marker rules apply).</summary>
    public const string Versioning = "versioning";
}

// Object tags and bucket configuration: side tables, not part of any commit, because in S3 tags
// and CORS rules change without making a new version.
public partial interface IMetadataStore
{
    /// <summary>The tags of one version of a key (the commit that wrote it), in the order they were set; empty when none.</summary>
    Task<IReadOnlyList<KeyValuePair<string, string>>> GetObjectTagsAsync(string repo, string key, string commitId, CancellationToken ct);

    /// <summary>Replaces the tags of one version of a key; an empty list removes them.</summary>
    Task SetObjectTagsAsync(string repo, string key, string commitId, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken ct);

    /// <summary>A bucket's (branch's) configuration document of a kind (<see cref="BucketConfigKind"/>), or null.</summary>
    Task<string?> GetBucketConfigAsync(string repo, string branch, string kind, CancellationToken ct);

    /// <summary>Stores (or with null, removes) a bucket's configuration document of a kind.</summary>
    Task SetBucketConfigAsync(string repo, string branch, string kind, string? document, CancellationToken ct);

    /// <summary>Removes every configuration document of a bucket (its branch was deleted).</summary>
    Task DeleteBucketConfigsAsync(string repo, string branch, CancellationToken ct);
}
