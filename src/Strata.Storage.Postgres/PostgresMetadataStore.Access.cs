using Npgsql;
using NpgsqlTypes;
using Strata.Core.Auth;

namespace Strata.Storage.Postgres;

// Users, token hashes, roles, the root token's hash every node sharing the database agrees on, and the audit log.
public sealed partial class PostgresMetadataStore
{
    private const string RootHash = "(SELECT value FROM settings WHERE key='root_token_sha256')";

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public async Task<Principal?> FindTokenAsync(string token, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT u.name, u.admin, t.id, t.last_used FROM access_tokens t JOIN users u ON u.name = t.user_name WHERE t.hash=@h",
            Text("h", Tokens.Hash(token)));
        var list = await ReadAllAsync(cmd, r => new Principal(r.GetString(0), r.GetBoolean(1), token) { TokenId = r.GetString(2), LastUsedUnixMs = r.GetInt64(3) }, ct).ConfigureAwait(false);
        return list.FirstOrDefault();
    }

    public async Task CreateUserAsync(string user, bool admin, CancellationToken ct)
    {
        await using var cmd = Cmd("INSERT INTO users(name, admin, created) VALUES(@u, @a, @t) ON CONFLICT(name) DO UPDATE SET admin=excluded.admin",
            Text("u", user), P("a", NpgsqlDbType.Boolean, admin), Long("t", NowMs()));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT name, admin, created FROM users ORDER BY name");
        return await ReadAllAsync(cmd, r => new UserInfo(r.GetString(0), r.GetBoolean(1), Time(r, 2)), ct).ConfigureAwait(false);
    }

    public async Task<bool> DeleteUserAsync(string user, CancellationToken ct)
    {
        await using var batch = _ds.CreateBatch();
        Add(batch, "DELETE FROM access_tokens WHERE user_name=@u", Text("u", user));
        Add(batch, "DELETE FROM roles WHERE user_name=@u", Text("u", user));
        var del = Add(batch, "DELETE FROM users WHERE name=@u", Text("u", user));
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return del.RecordsAffected > 0;
    }

    public async Task<string> AddTokenAsync(string user, string token, CancellationToken ct)
    {
        await using var cmd = Cmd("""
            INSERT INTO access_tokens(id, hash, user_name, created) VALUES(@i, @h, @u, @t)
            ON CONFLICT(hash) DO UPDATE SET user_name=excluded.user_name RETURNING id
            """, Text("i", Tokens.NewId()), Text("h", Tokens.Hash(token)), Text("u", user), Long("t", NowMs()));
        return (string)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private const string TokenCols = $"id, user_name, created, last_used, hash IS NOT DISTINCT FROM {RootHash}";

    private static TokenInfo ReadToken(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), Time(r, 2), r.GetInt64(3) == 0 ? null : Time(r, 3), r.GetBoolean(4));

    public async Task<IReadOnlyList<TokenInfo>> ListTokensAsync(string user, CancellationToken ct)
    {
        await using var cmd = Cmd($"SELECT {TokenCols} FROM access_tokens WHERE user_name=@u ORDER BY created, id", Text("u", user));
        return await ReadAllAsync(cmd, ReadToken, ct).ConfigureAwait(false);
    }

    public async Task<TokenInfo?> GetTokenAsync(string id, CancellationToken ct)
    {
        await using var cmd = Cmd($"SELECT {TokenCols} FROM access_tokens WHERE id=@i", Text("i", id));
        return (await ReadAllAsync(cmd, ReadToken, ct).ConfigureAwait(false)).FirstOrDefault();
    }

    public async Task<bool> RevokeTokenAsync(string id, CancellationToken ct)
    {
        await using var cmd = Cmd($"DELETE FROM access_tokens WHERE id=@i AND hash IS DISTINCT FROM {RootHash}", Text("i", id));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
    }

    public async Task TouchTokenAsync(string id, DateTimeOffset now, TimeSpan resolution, CancellationToken ct)
    {
        var ms = now.ToUnixTimeMilliseconds();
        await using var cmd = Cmd("UPDATE access_tokens SET last_used=@n WHERE id=@i AND last_used <= @cut",
            Text("i", id), Long("n", ms), Long("cut", ms - (long)resolution.TotalMilliseconds));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<RepoRole?> GetRoleAsync(string user, string repo, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT role FROM roles WHERE user_name=@u AND repo=@r", Text("u", user), Text("r", repo));
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is int v ? (RepoRole)v : null;
    }

    public async Task SetRoleAsync(string user, string repo, RepoRole? role, CancellationToken ct)
    {
        await using var cmd = role is { } r
            ? Cmd("INSERT INTO roles(user_name, repo, role) VALUES(@u, @r, @v) ON CONFLICT(user_name, repo) DO UPDATE SET role=excluded.role",
                Text("u", user), Text("r", repo), Int("v", (int)r))
            : Cmd("DELETE FROM roles WHERE user_name=@u AND repo=@r", Text("u", user), Text("r", repo));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<RoleGrant>> ListGrantsAsync(string? user, string? repo, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT user_name, repo, role FROM roles WHERE (@u IS NULL OR user_name=@u) AND (@r IS NULL OR repo=@r) ORDER BY user_name, repo",
            Text("u", user), Text("r", repo));
        return await ReadAllAsync(cmd, r => new RoleGrant(r.GetString(0), r.GetString(1), (RepoRole)r.GetInt32(2)), ct).ConfigureAwait(false);
    }

    public async Task<bool> EnsureRootTokenAsync(string candidate, CancellationToken ct)
    {
        // Separate statements on purpose: a second node's INSERT waits for the first node's row and
        // then does nothing; only a statement started after that (a fresh READ COMMITTED snapshot)
        // sees the winner's hash. A single statement with a CTE would read its old snapshot.
        var hash = Tokens.Hash(candidate);
        await using var batch = _ds.CreateBatch();
        Add(batch, "INSERT INTO settings(key, value) VALUES('root_token_sha256', @h) ON CONFLICT DO NOTHING", Text("h", hash));
        Add(batch, "INSERT INTO users(name, admin, created) VALUES('root', true, @t) ON CONFLICT(name) DO UPDATE SET admin=true", Long("t", NowMs()));
        Add(batch, """
            INSERT INTO access_tokens(id, hash, user_name, created) SELECT @i, value, 'root', @t FROM settings WHERE key='root_token_sha256'
            ON CONFLICT(hash) DO UPDATE SET user_name='root' RETURNING hash
            """, Text("i", Tokens.NewId()), Long("t", NowMs()));
        // The batch is one implicit transaction; the only rows it returns are the RETURNING's.
        await using var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
        do
        {
            if (r.FieldCount > 0 && await r.ReadAsync(ct).ConfigureAwait(false)) return Tokens.SameSecret(r.GetString(0), hash);
        } while (await r.NextResultAsync(ct).ConfigureAwait(false));
        throw new InvalidOperationException("PostgreSQL: the root token was not stored");
    }

    public async Task RotateRootTokenAsync(string newToken, CancellationToken ct)
    {
        var hash = Tokens.Hash(newToken);
        await using var batch = _ds.CreateBatch();
        Add(batch, $"DELETE FROM access_tokens WHERE hash IS NOT DISTINCT FROM {RootHash}");
        Add(batch, "INSERT INTO settings(key, value) VALUES('root_token_sha256', @h) ON CONFLICT(key) DO UPDATE SET value=excluded.value", Text("h", hash));
        Add(batch, "INSERT INTO users(name, admin, created) VALUES('root', true, @t) ON CONFLICT(name) DO UPDATE SET admin=true", Long("t", NowMs()));
        Add(batch, "INSERT INTO access_tokens(id, hash, user_name, created) VALUES(@i, @h, 'root', @t) ON CONFLICT(hash) DO UPDATE SET user_name='root'",
            Text("i", Tokens.NewId()), Text("h", hash), Long("t", NowMs()));
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task AppendAuditAsync(AuditEntry e, CancellationToken ct)
    {
        await using var cmd = Cmd("INSERT INTO audit(at, actor, action, target, detail) VALUES(@t, @a, @x, @g, @d)",
            Long("t", e.Time.ToUnixTimeMilliseconds()), Text("a", e.Actor), Text("x", e.Action), Text("g", e.Target), Text("d", e.Detail));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AuditEntry>> ListAuditAsync(long after, int limit, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT seq, at, actor, action, target, detail FROM audit WHERE seq > @s ORDER BY seq LIMIT @n", Long("s", after), Int("n", limit));
        return await ReadAllAsync(cmd, r => new AuditEntry(r.GetInt64(0), Time(r, 1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5)), ct).ConfigureAwait(false);
    }
}
