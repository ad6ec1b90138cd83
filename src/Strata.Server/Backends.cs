using Strata.Core.Auth;
using Strata.Core.Storage;
using Strata.Storage.FileSystem;
using Strata.Storage.Postgres;
using Strata.Storage.S3;
using Strata.Storage.Sqlite;

namespace Strata.Server;

/// <summary>The two storage seams as configured: metadata (SQLite or PostgreSQL) and chunks (files or S3), in any mix.</summary>
public sealed class Backends : IAsyncDisposable
{
    public required IMetadataStore Meta { get; init; }
    public required IAccessStore Access { get; init; }
    public required IChunkStore Chunks { get; init; }
    /// <summary>One line for the log: where metadata and chunks live.</summary>
    public required string Description { get; init; }

    /// <summary>Opens and checks both stores; a store that cannot be used is a StorageConfigurationException with one clear line.</summary>
    public static async Task<Backends> OpenAsync(ServerOptions o, string dataDir, CancellationToken ct)
    {
        var (meta, access, metaText) = await OpenMetadataAsync(o.Metadata, dataDir, ct).ConfigureAwait(false);
        try
        {
            var (chunks, chunkText) = await OpenChunksAsync(o, dataDir, ct).ConfigureAwait(false);
            return new Backends { Meta = meta, Access = access, Chunks = chunks, Description = $"metadata: {metaText}; chunks: {chunkText}" };
        }
        catch
        {
            if (meta is IAsyncDisposable d) await d.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<(IMetadataStore, IAccessStore, string)> OpenMetadataAsync(string? url, string dataDir, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url) || url.StartsWith("sqlite:", StringComparison.Ordinal))
        {
            var path = string.IsNullOrWhiteSpace(url) ? Path.Combine(dataDir, "metadata.db") : Path.GetFullPath(url["sqlite:".Length..]);
            try
            {
                var s = new SqliteMetadataStore(path);
                return (s, s, $"SQLite {path}");
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
            {
                throw new StorageConfigurationException($"metadata store SQLite {path}: {e.Message.Split('\n')[0]}", e);
            }
        }
        if (url.StartsWith("postgres://", StringComparison.Ordinal) || url.StartsWith("postgresql://", StringComparison.Ordinal))
        {
            try
            {
                var s = await PostgresMetadataStore.OpenAsync(url, ct).ConfigureAwait(false);
                return (s, s, $"PostgreSQL {PostgresUrl.Redact(url)}");
            }
            catch (ArgumentException e)
            {
                throw new StorageConfigurationException(e.Message.Split('\n')[0], e);
            }
        }
        throw new StorageConfigurationException($"metadata store '{PostgresUrl.Redact(url)}' is not understood; use postgres://USER[:PASS]@HOST:PORT/DB or sqlite:PATH (default: SQLite in the data dir)");
    }

    private static async Task<(IChunkStore, string)> OpenChunksAsync(ServerOptions o, string dataDir, CancellationToken ct)
    {
        var url = o.Chunks;
        if (string.IsNullOrWhiteSpace(url) || url.StartsWith("file:", StringComparison.Ordinal))
        {
            var path = string.IsNullOrWhiteSpace(url) ? Path.Combine(dataDir, "chunks") : Path.GetFullPath(url["file:".Length..]);
            try
            {
                return (new FileChunkStore(path), $"files {path}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StorageConfigurationException($"chunk store {path}: {e.Message}", e);
            }
        }
        if (url.StartsWith("s3://", StringComparison.Ordinal))
        {
            var options = S3ChunkStoreOptions.Parse(url,
                o.ChunksAccessKey ?? Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"),
                o.ChunksSecretKey ?? Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY"));
            return (await S3ChunkStore.OpenAsync(options, ct).ConfigureAwait(false), options.ToString());
        }
        throw new StorageConfigurationException($"chunk store '{url}' is not understood; use s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT or file:PATH (default: files in the data dir)");
    }

    public async ValueTask DisposeAsync()
    {
        if (Meta is IAsyncDisposable m) await m.DisposeAsync().ConfigureAwait(false);
        else if (Meta is IDisposable md) md.Dispose();
        if (Chunks is IDisposable c) c.Dispose();
    }
}
