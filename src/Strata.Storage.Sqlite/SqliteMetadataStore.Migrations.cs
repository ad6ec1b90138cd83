using Microsoft.Data.Sqlite;
using Strata.Core.Auth;

namespace Strata.Storage.Sqlite;

// Versioned migrations (PRAGMA user_version); version N is Migrations[N - 1]. Never edit an
// applied one: append. The tables of the first release are created by the constructor.
public sealed partial class SqliteMetadataStore
{
    private static readonly Action<SqliteConnection, SqliteTransaction>[] Migrations =
    [
        HashTokens,
        // 2: object tags and bucket configuration (purges need no migration: a column, a table, made at open).
        TagsAndBucketConfig,
        // 3: a per-repo marker of object tags, so that a GET in an untagged repo needs no tag lookup.
        TaggedRepos,
    ];

    private static void Migrate(SqliteConnection c)
    {
        using var tx = c.BeginTransaction(); // IMMEDIATE: two stores opening one file take turns
        var current = Scalar(c, tx, "PRAGMA user_version");
        if (current > Migrations.Length)
            throw new Strata.Core.Storage.StorageConfigurationException($"SQLite database schema is version {current}, newer than this Strata knows ({Migrations.Length}); upgrade Strata");
        if (current == Migrations.Length) return;
        // Freed pages are zeroed, so the plaintext tokens the first migration deletes do not linger in the file.
        Exec(c, "PRAGMA secure_delete=ON", tx);
        for (var v = current + 1; v <= Migrations.Length; v++)
        {
            Migrations[v - 1](c, tx);
            Exec(c, $"PRAGMA user_version={v}", tx); // an integer, not input
        }
        tx.Commit();
        Exec(c, "PRAGMA secure_delete=OFF; PRAGMA wal_checkpoint(TRUNCATE);");
    }

    private static long Scalar(SqliteConnection c, SqliteTransaction tx, string sql, params (string, object?)[] ps)
    {
        using var cmd = Cmd(c, sql, ps);
        cmd.Transaction = tx;
        return cmd.ExecuteScalar() is long v ? v : 0;
    }

    private static void Run(SqliteConnection c, SqliteTransaction tx, string sql, params (string, object?)[] ps)
    {
        using var cmd = Cmd(c, sql, ps);
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Object tags per version (the commit that wrote the key) and per-bucket configuration documents
    /// (CORS rules, bucket tags): side tables, because changing them makes no new version in S3.
    /// </summary>
    private static void TagsAndBucketConfig(SqliteConnection c, SqliteTransaction tx) => Run(c, tx, """
        CREATE TABLE IF NOT EXISTS object_tags(repo TEXT NOT NULL, key TEXT NOT NULL, commit_id TEXT NOT NULL,
            tags TEXT NOT NULL, PRIMARY KEY(repo, key, commit_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS bucket_config(repo TEXT NOT NULL, branch TEXT NOT NULL, kind TEXT NOT NULL,
            document TEXT NOT NULL, PRIMARY KEY(repo, branch, kind)) WITHOUT ROWID;
        """);

    /// <summary>
    /// Every repo that has (or once had) an object tag row. Triggers keep it, so the marker is written in
    /// the same transaction as the tag by every writer, including one that does not know of it. It is
    /// never cleared: a stale marker costs a lookup, a missing one a wrong x-amz-tagging-count.
    /// </summary>
    private static void TaggedRepos(SqliteConnection c, SqliteTransaction tx) => Run(c, tx, """
        CREATE TABLE IF NOT EXISTS tagged_repos(repo TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TRIGGER IF NOT EXISTS object_tags_mark_insert AFTER INSERT ON object_tags
            BEGIN INSERT OR IGNORE INTO tagged_repos(repo) VALUES(NEW.repo); END;
        CREATE TRIGGER IF NOT EXISTS object_tags_mark_update AFTER UPDATE OF repo ON object_tags
            BEGIN INSERT OR IGNORE INTO tagged_repos(repo) VALUES(NEW.repo); END;
        INSERT OR IGNORE INTO tagged_repos(repo) SELECT DISTINCT repo FROM object_tags;
        """);

    /// <summary>
    /// 1: tokens are kept as SHA-256 hashes only, with an id, creation and last-use time; users get a
    /// creation time; changes are audited. Plaintext tokens of earlier versions (and the plaintext
    /// root token setting) are hashed, so existing credentials keep working.
    /// </summary>
    private static void HashTokens(SqliteConnection c, SqliteTransaction tx)
    {
        Run(c, tx, """
            CREATE TABLE access_tokens(id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, user TEXT NOT NULL,
                created INTEGER NOT NULL, last_used INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX access_tokens_by_user ON access_tokens(user, created);
            CREATE TABLE audit(seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL,
                action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
            CREATE INDEX roles_by_repo ON roles(repo, user);
            """);
        if (Scalar(c, tx, "SELECT count(*) FROM pragma_table_info('users') WHERE name='created'") == 0)
            Run(c, tx, "ALTER TABLE users ADD COLUMN created INTEGER NOT NULL DEFAULT 0");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (Scalar(c, tx, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='tokens'") > 0)
        {
            var old = new List<(string Token, string User)>();
            using (var read = Cmd(c, "SELECT token, user FROM tokens"))
            {
                read.Transaction = tx;
                using var r = read.ExecuteReader();
                while (r.Read()) old.Add((r.GetString(0), r.GetString(1)));
            }
            foreach (var (token, user) in old)
                Run(c, tx, "INSERT OR IGNORE INTO access_tokens(id, hash, user, created) VALUES($i, $h, $u, $t)",
                    ("$i", Tokens.NewId()), ("$h", Tokens.Hash(token)), ("$u", user), ("$t", now));
            Run(c, tx, "DROP TABLE tokens");
        }
        string? root;
        using (var get = Cmd(c, "SELECT value FROM settings WHERE key='root_token'"))
        {
            get.Transaction = tx;
            root = get.ExecuteScalar() as string;
        }
        if (root is not null)
        {
            Run(c, tx, "DELETE FROM settings WHERE key='root_token'");
            Run(c, tx, "INSERT OR REPLACE INTO settings(key, value) VALUES('root_token_sha256', $h)", ("$h", Tokens.Hash(root)));
        }
    }
}
