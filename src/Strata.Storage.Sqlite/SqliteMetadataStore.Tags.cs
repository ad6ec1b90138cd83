using Strata.Core;

namespace Strata.Storage.Sqlite;

// Object tags per version and per-bucket configuration documents (CORS rules, bucket tags).
public sealed partial class SqliteMetadataStore
{
    public Task<IReadOnlyList<KeyValuePair<string, string>>> GetObjectTagsAsync(string repo, string key, string commitId, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT tags FROM object_tags WHERE repo=$r AND key=$k AND commit_id=$c", ("$r", repo), ("$k", key), ("$c", commitId));
        return Task.FromResult(TagSet.Decode(cmd.ExecuteScalar() as string));
    }

    // Also run in a commit's transaction for the tags given with a write (see InsertVersions).
    private const string UpsertTags = "INSERT INTO object_tags(repo, key, commit_id, tags) VALUES($r, $k, $c, $t) ON CONFLICT(repo, key, commit_id) DO UPDATE SET tags=excluded.tags";

    public Task SetObjectTagsAsync(string repo, string key, string commitId, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = tags.Count == 0
            ? Cmd(c, "DELETE FROM object_tags WHERE repo=$r AND key=$k AND commit_id=$c", ("$r", repo), ("$k", key), ("$c", commitId))
            : Cmd(c, UpsertTags,
                ("$r", repo), ("$k", key), ("$c", commitId), ("$t", TagSet.Encode(tags)));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<string?> GetBucketConfigAsync(string repo, string branch, string kind, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT document FROM bucket_config WHERE repo=$r AND branch=$b AND kind=$k", ("$r", repo), ("$b", branch), ("$k", kind));
        return Task.FromResult(cmd.ExecuteScalar() as string);
    }

    public Task SetBucketConfigAsync(string repo, string branch, string kind, string? document, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = document is null
            ? Cmd(c, "DELETE FROM bucket_config WHERE repo=$r AND branch=$b AND kind=$k", ("$r", repo), ("$b", branch), ("$k", kind))
            : Cmd(c, "INSERT INTO bucket_config(repo, branch, kind, document) VALUES($r, $b, $k, $d) ON CONFLICT(repo, branch, kind) DO UPDATE SET document=excluded.document",
                ("$r", repo), ("$b", branch), ("$k", kind), ("$d", document));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task DeleteBucketConfigsAsync(string repo, string branch, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "DELETE FROM bucket_config WHERE repo=$r AND branch=$b", ("$r", repo), ("$b", branch));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }
}
