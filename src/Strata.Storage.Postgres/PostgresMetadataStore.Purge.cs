using Npgsql;
using NpgsqlTypes;
using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Storage.Postgres;

// Purges (permanent version deletes). The transaction first locks every branch row of the repo
// (in name order, so two purges queue rather than deadlock), so a commit to any of them waits for the purge and then, reading its
// parent's root after its own CAS, sees the rewrite and retries (see TryCommitChainAsync).
public sealed partial class PostgresMetadataStore
{
    public async Task<long?> TryPurgeAsync(PurgeChange p, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct)
    {
        try
        {
            return await PurgeAsync(p, nodes, protectedSinceUnixMs, ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (PostgresErrors.LostToAnotherTransaction(e))
        {
            // Rolled back: planned again from the branches as they are now, like a purge that lost a race.
            return null;
        }
    }

    private async Task<long?> PurgeAsync(PurgeChange p, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct)
    {
        await using var c = await _ds.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var locks = CheckedBatch(c))
        {
            Add(locks, "SELECT 1 FROM branches WHERE repo=@r ORDER BY name FOR UPDATE", Text("r", p.Repo));
            await ExecuteCheckedAsync(locks, protectedSinceUnixMs, ct).ConfigureAwait(false);
        }
        long count;
        await using (var bump = Cmd(c, "UPDATE branches SET purges=(SELECT max(purges) + 1 FROM branches WHERE repo=@r) WHERE repo=@r RETURNING purges", Text("r", p.Repo)))
            count = (long)(await bump.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? 0L);
        var now = new Dictionary<string, string?>(StringComparer.Ordinal);
        await using (var cmd = Cmd(c, "SELECT name, head FROM branches WHERE repo=@r", Text("r", p.Repo)))
            foreach (var (name, head) in await ReadAllAsync(cmd, r => (r.GetString(0), NullableString(r, 1)), ct).ConfigureAwait(false))
                now[name] = head;
        long open;
        await using (var cmd = Cmd(c, "SELECT count(*) FROM open_commits WHERE repo=@r AND branch = ANY(@b)",
            Text("r", p.Repo), P("b", NpgsqlDbType.Array | NpgsqlDbType.Text, p.Reaching.ToArray())))
            open = (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        if (open > 0 || now.Count != p.Branches.Count || !p.Branches.All(b => now.TryGetValue(b.Key, out var h) && h == b.Value))
        {
            await tx.RollbackAsync(ct).ConfigureAwait(false);
            return null;
        }
        await using (var batch = new NpgsqlBatch(c))
        {
            AddNodes(batch, nodes);
            // An empty array element stands for a null root (an empty tree): bytea arrays carry no nulls here.
            var rewrite = Add(batch, """
                UPDATE commits c SET root=NULLIF(u.n, ''::bytea) FROM unnest(@ids, @olds, @news) AS u(i, o, n)
                WHERE c.id=u.i AND c.repo=@r AND c.root IS NOT DISTINCT FROM NULLIF(u.o, ''::bytea)
                """,
                P("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, p.Rewrites.Select(w => w.CommitId).ToArray()),
                P("olds", NpgsqlDbType.Array | NpgsqlDbType.Bytea, p.Rewrites.Select(w => w.OldRoot?.ToBytes() ?? []).ToArray()),
                P("news", NpgsqlDbType.Array | NpgsqlDbType.Bytea, p.Rewrites.Select(w => w.NewRoot?.ToBytes() ?? []).ToArray()),
                Text("r", p.Repo));
            // The replaced trees stay roots for the GC grace period: readers that opened them may still be reading.
            Add(batch, "INSERT INTO gc_dropped(kind, ref, dropped) SELECT @k, r, @t FROM unnest(@olds) AS o(r)",
                Int("k", (int)DroppedKind.Tree), P("olds", NpgsqlDbType.Array | NpgsqlDbType.Bytea,
                    p.Rewrites.Select(w => w.OldRoot).OfType<Hash>().Distinct().Select(h => h.ToBytes()).ToArray()), Long("t", Now));
            foreach (var (key, version) in p.Versions)
            {
                Add(batch, "DELETE FROM versions WHERE repo=@r AND key=@k AND commit_id=@v", Text("r", p.Repo), Text("k", key), Text("v", version));
                Add(batch, "DELETE FROM object_tags WHERE repo=@r AND key=@k AND commit_id=@v", Text("r", p.Repo), Text("k", key), Text("v", version));
                Add(batch, "INSERT INTO purged(repo, key, commit_id, at) VALUES(@r, @k, @v, @t) ON CONFLICT DO NOTHING",
                    Text("r", p.Repo), Text("k", key), Text("v", version), Long("t", Now));
            }
            foreach (var a in p.Audit)
                Add(batch, "INSERT INTO audit(at, actor, action, target, detail) VALUES(@t, @a, @x, @g, @d)",
                    Long("t", a.Time.ToUnixTimeMilliseconds()), Text("a", a.Actor), Text("x", a.Action), Text("g", a.Target), Text("d", a.Detail));
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            if (rewrite.RecordsAffected != p.Rewrites.Count)
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                return null;
            }
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return count;
    }

    public async Task<bool> WasPurgedAsync(string repo, string key, string versionId, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT 1 FROM purged WHERE repo=@r AND key=@k AND commit_id=@v", Text("r", repo), Text("k", key), Text("v", versionId));
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
    }
}
