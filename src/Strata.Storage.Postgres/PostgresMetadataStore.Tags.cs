using Strata.Core;

namespace Strata.Storage.Postgres;

// Object tags per version and per-bucket configuration documents (CORS rules, bucket tags).
public sealed partial class PostgresMetadataStore
{
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> GetObjectTagsAsync(string repo, string key, string commitId, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT tags FROM object_tags WHERE repo=@r AND key=@k AND commit_id=@c", Text("r", repo), Text("k", key), Text("c", commitId));
        return TagSet.Decode(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string);
    }

    // Also run in a commit's transaction for the tags given with a write (see AddVersions).
    private const string UpsertTags = "INSERT INTO object_tags(repo, key, commit_id, tags) VALUES(@r, @k, @c, @t) ON CONFLICT(repo, key, commit_id) DO UPDATE SET tags=excluded.tags";

    public async Task SetObjectTagsAsync(string repo, string key, string commitId, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken ct)
    {
        await using var cmd = tags.Count == 0
            ? Cmd("DELETE FROM object_tags WHERE repo=@r AND key=@k AND commit_id=@c", Text("r", repo), Text("k", key), Text("c", commitId))
            : Cmd(UpsertTags,
                Text("r", repo), Text("k", key), Text("c", commitId), Text("t", TagSet.Encode(tags)));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<string?> GetBucketConfigAsync(string repo, string branch, string kind, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT document FROM bucket_config WHERE repo=@r AND branch=@b AND kind=@k", Text("r", repo), Text("b", branch), Text("k", kind));
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    public async Task SetBucketConfigAsync(string repo, string branch, string kind, string? document, CancellationToken ct)
    {
        await using var cmd = document is null
            ? Cmd("DELETE FROM bucket_config WHERE repo=@r AND branch=@b AND kind=@k", Text("r", repo), Text("b", branch), Text("k", kind))
            : Cmd("INSERT INTO bucket_config(repo, branch, kind, document) VALUES(@r, @b, @k, @d) ON CONFLICT(repo, branch, kind) DO UPDATE SET document=excluded.document",
                Text("r", repo), Text("b", branch), Text("k", kind), Text("d", document));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task DeleteBucketConfigsAsync(string repo, string branch, CancellationToken ct)
    {
        await using var cmd = Cmd("DELETE FROM bucket_config WHERE repo=@r AND branch=@b", Text("r", repo), Text("b", branch));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
