using Npgsql;
using NpgsqlTypes;

namespace Strata.Storage.Postgres;

/// <summary>
/// The schema as an ordered list of migrations; version N is Migrations[N - 1]. Never edit an
/// applied migration: append a new one. Keys are COLLATE "C" so that they sort by UTF-8 bytes,
/// as S3 (and SQLite's BINARY, and KeyOrder) do; times are unix milliseconds as in SQLite.
/// </summary>
internal static class PostgresSchema
{
    // Any fixed value; advisory locks are per database, so only nodes sharing this database wait on it.
    private const long MigrationLock = 0x5374_7261_7461_4D67; // "StrataMg"
    // Freshening a chunk holds it shared, a GC sweep batch exclusive; kept next to MigrationLock so the two never collide.
    internal const long ChunkSweepLock = 0x5374_7261_7461_4763; // "StrataGc"
    // Every write that adds references holds this shared while it checks the GC cutoff, publishing one holds it exclusive.
    internal const long GcCutoffLock = 0x5374_7261_7461_4375; // "StrataCu"

    internal static readonly string[] Migrations =
    [
        """
        CREATE TABLE repos(name text COLLATE "C" PRIMARY KEY, created bigint NOT NULL);
        CREATE TABLE branches(repo text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL, head text COLLATE "C",
            created bigint NOT NULL, PRIMARY KEY(repo, name));
        CREATE TABLE commits(id text COLLATE "C" PRIMARY KEY, repo text COLLATE "C" NOT NULL, parent text COLLATE "C",
            root bytea, height bigint NOT NULL, skip text COLLATE "C", time bigint NOT NULL, message text NOT NULL);
        CREATE TABLE nodes(id bytea PRIMARY KEY, data bytea NOT NULL);
        CREATE TABLE uploads(id text COLLATE "C" PRIMARY KEY, repo text COLLATE "C" NOT NULL, branch text COLLATE "C" NOT NULL,
            key text COLLATE "C" NOT NULL, created bigint NOT NULL, headers bytea NOT NULL, checksum_algorithm text,
            checksum_type text, completion bytea);
        CREATE INDEX uploads_by_key ON uploads(repo, branch, key, id);
        -- ListUploadsCreatedBefore (the expiry sweep) reads oldest first.
        CREATE INDEX uploads_by_created ON uploads(created);
        CREATE TABLE parts(upload_id text COLLATE "C" NOT NULL, number int NOT NULL, size bigint NOT NULL,
            md5 bytea NOT NULL, chunks bytea NOT NULL, checksums bytea NOT NULL, modified bigint NOT NULL,
            PRIMARY KEY(upload_id, number));
        CREATE TABLE versions(repo text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, height bigint NOT NULL,
            commit_id text COLLATE "C" NOT NULL, is_delete boolean NOT NULL, size bigint NOT NULL, etag text NOT NULL,
            modified bigint NOT NULL, PRIMARY KEY(repo, key, height, commit_id));
        CREATE INDEX versions_by_commit ON versions(repo, commit_id, key);
        -- Listings read a key's versions newest first: this order is what the index must give.
        CREATE INDEX versions_newest_first ON versions(repo, key, height DESC);
        CREATE TABLE open_commits(repo text COLLATE "C" NOT NULL, branch text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL,
            base text COLLATE "C", root bytea, started bigint NOT NULL, PRIMARY KEY(repo, branch));
        CREATE TABLE users(name text COLLATE "C" PRIMARY KEY, admin boolean NOT NULL);
        -- "user" is reserved in PostgreSQL, hence user_name.
        CREATE TABLE tokens(token text COLLATE "C" PRIMARY KEY, user_name text COLLATE "C" NOT NULL);
        CREATE TABLE roles(user_name text COLLATE "C" NOT NULL, repo text COLLATE "C" NOT NULL, role int NOT NULL,
            PRIMARY KEY(user_name, repo));
        CREATE TABLE settings(key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
        """,
        // 2: garbage collection. A node's touched time is its last insert; the GC grace period counts from it.
        """
        ALTER TABLE nodes ADD COLUMN touched bigint NOT NULL DEFAULT 0;
        CREATE TABLE gc_dropped(seq bigserial PRIMARY KEY, kind int NOT NULL, ref bytea NOT NULL, dropped bigint NOT NULL);
        -- PurgeDropped deletes by age.
        CREATE INDEX gc_dropped_by_time ON gc_dropped(dropped);
        CREATE TABLE gc_freshened(id bytea PRIMARY KEY, at bigint NOT NULL);
        CREATE TABLE leases(name text COLLATE "C" PRIMARY KEY, owner text NOT NULL, until bigint NOT NULL);
        -- Every write that adds references locks this row FOR SHARE; publishing a cutoff updates it.
        INSERT INTO settings(key, value) VALUES('gc_cutoff', '0') ON CONFLICT DO NOTHING;
        """,
        // 3: branch history retention. (Since this version the cutoff row above is no longer locked:
        // writes and publication order on the advisory lock GcCutoffLock instead, which needs no schema.)
        """
        ALTER TABLE branches ADD COLUMN floor bigint NOT NULL DEFAULT 0;
        """,
        // 4: tokens are kept as SHA-256 hashes only (with an id, creation and last-use time), users get a
        // creation time, changes are audited. Plaintext tokens of earlier versions (and the root
        // token setting) are hashed here, so existing credentials keep working. DROP TABLE removes
        // the old table's files at once; the old settings row is a dead tuple until (auto)vacuum.
        """
        CREATE TABLE access_tokens(id text COLLATE "C" PRIMARY KEY, hash text COLLATE "C" NOT NULL UNIQUE,
            user_name text COLLATE "C" NOT NULL, created bigint NOT NULL, last_used bigint NOT NULL DEFAULT 0);
        CREATE INDEX access_tokens_by_user ON access_tokens(user_name, created);
        INSERT INTO access_tokens(id, hash, user_name, created)
            SELECT substr(md5(random()::text || clock_timestamp()::text || ctid::text), 1, 16),
                encode(sha256(convert_to(token, 'UTF8')), 'hex'), user_name, (extract(epoch from now()) * 1000)::bigint
            FROM tokens ON CONFLICT DO NOTHING;
        DROP TABLE tokens;
        INSERT INTO settings(key, value)
            SELECT 'root_token_sha256', encode(sha256(convert_to(value, 'UTF8')), 'hex') FROM settings WHERE key='root_token'
            ON CONFLICT(key) DO UPDATE SET value=excluded.value;
        DELETE FROM settings WHERE key='root_token';
        ALTER TABLE users ADD COLUMN created bigint NOT NULL DEFAULT 0;
        CREATE TABLE audit(seq bigserial PRIMARY KEY, at bigint NOT NULL, actor text NOT NULL, action text NOT NULL,
            target text NOT NULL, detail text NOT NULL);
        CREATE INDEX roles_by_repo ON roles(repo, user_name);
        """,
        // 5: permanent version deletes (purges) rewrite commit roots in place; nodes that cache commits
        // notice by this count changing on the branch rows they read anyway.
        """
        ALTER TABLE branches ADD COLUMN purges bigint NOT NULL DEFAULT 0;
        CREATE TABLE purged(repo text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, commit_id text COLLATE "C" NOT NULL,
            at bigint NOT NULL, PRIMARY KEY(repo, key, commit_id));
        """,
        // 6: tags and bucket configuration.
        // Object tags per version (the commit that wrote the key) and per-bucket configuration
        // documents (CORS rules, bucket tags): side tables, because changing them makes no new version in S3.
        """
        CREATE TABLE IF NOT EXISTS object_tags(repo text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL,
            commit_id text COLLATE "C" NOT NULL, tags text NOT NULL, PRIMARY KEY(repo, key, commit_id));
        CREATE TABLE IF NOT EXISTS bucket_config(repo text COLLATE "C" NOT NULL, branch text COLLATE "C" NOT NULL,
            kind text COLLATE "C" NOT NULL, document text NOT NULL, PRIMARY KEY(repo, branch, kind));
        """,
        // 7: every repo that has (or once had) an object tag row, so that a GET in an untagged repo needs
        // no tag lookup. A trigger keeps it in the tag's own transaction for every writer, including a node
        // of an older version; it is never cleared (a stale marker costs a lookup, a missing one a wrong
        // x-amz-tagging-count). The trigger comes first: it locks out tag writes until the backfill commits.
        """
        CREATE TABLE tagged_repos(repo text COLLATE "C" PRIMARY KEY);
        CREATE FUNCTION strata_mark_tagged_repo() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO tagged_repos(repo) VALUES (NEW.repo) ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$;
        CREATE TRIGGER object_tags_mark AFTER INSERT OR UPDATE OF repo ON object_tags
            FOR EACH ROW EXECUTE FUNCTION strata_mark_tagged_repo();
        INSERT INTO tagged_repos(repo) SELECT DISTINCT repo FROM object_tags ON CONFLICT DO NOTHING;
        """,
    ];

    public static int Latest => Migrations.Length;

    /// <summary>
    /// Brings the database to the latest version in one transaction under an advisory lock, so
    /// nodes starting together on an empty database take turns and the later ones find nothing to do.
    /// </summary>
    public static async Task MigrateAsync(NpgsqlConnection c, CancellationToken ct)
    {
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await ExecAsync(c, "SELECT pg_advisory_xact_lock(@k)", ct, new NpgsqlParameter("k", NpgsqlDbType.Bigint) { Value = MigrationLock }).ConfigureAwait(false);
        // Inside the lock: concurrent CREATE TABLE IF NOT EXISTS can still collide on the catalog.
        await ExecAsync(c, "CREATE TABLE IF NOT EXISTS strata_schema(version int PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())", ct).ConfigureAwait(false);
        int current;
        await using (var get = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM strata_schema", c))
            current = (int)(await get.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        if (current > Latest)
            throw new Strata.Core.Storage.StorageConfigurationException($"PostgreSQL database schema is version {current}, newer than this Strata knows ({Latest}); upgrade Strata");
        for (var v = current + 1; v <= Latest; v++)
        {
            await ExecAsync(c, Migrations[v - 1], ct).ConfigureAwait(false);
            await ExecAsync(c, "INSERT INTO strata_schema(version, applied) VALUES(@v, now())", ct,
                new NpgsqlParameter("v", NpgsqlDbType.Integer) { Value = v }).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    private static async Task ExecAsync(NpgsqlConnection c, string sql, CancellationToken ct, params NpgsqlParameter[] ps)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        // Waiting for another node's migration can take longer than an ordinary command.
        cmd.CommandTimeout = 600;
        cmd.Parameters.AddRange(ps);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
