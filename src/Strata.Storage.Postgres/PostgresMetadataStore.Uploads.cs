using Npgsql;
using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Storage.Postgres;

// Multipart uploads: metadata only; parts point at chunks already stored.
public sealed partial class PostgresMetadataStore
{
    private const string UploadCols = "id, repo, branch, key, created, headers, checksum_algorithm, checksum_type, completion";

    private static UploadInfo ReadUpload(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Time(r, 4),
        BinaryCodec.Decode(r.GetFieldValue<byte[]>(5), BinaryCodec.ReadPairs), NullableString(r, 6), NullableString(r, 7),
        r.IsDBNull(8) ? null : BinaryCodec.Decode(r.GetFieldValue<byte[]>(8), BinaryCodec.ReadPairs));

    public async Task CreateUploadAsync(UploadInfo u, CancellationToken ct)
    {
        await using var cmd = Cmd($"INSERT INTO uploads({UploadCols}) VALUES(@id, @r, @b, @k, @t, @h, @ca, @ct, NULL)",
            Text("id", u.Id), Text("r", u.Repo), Text("b", u.Branch), Text("k", u.Key), Long("t", u.Created.ToUnixTimeMilliseconds()),
            Bytes("h", BinaryCodec.Encode(w => BinaryCodec.WritePairs(w, u.Headers))), Text("ca", u.ChecksumAlgorithm), Text("ct", u.ChecksumType));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<UploadInfo?> GetUploadAsync(string uploadId, CancellationToken ct)
    {
        await using var cmd = Cmd($"SELECT {UploadCols} FROM uploads WHERE id=@id", Text("id", uploadId));
        return (await ReadAllAsync(cmd, ReadUpload, ct).ConfigureAwait(false)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<UploadInfo>> ListUploadsAsync(string repo, string branch, string prefix, string keyMarker, string uploadIdMarker, int limit, CancellationToken ct)
    {
        var (lo, hi) = PrefixRange(prefix, keyMarker);
        await using var cmd = Cmd($"""
            SELECT {UploadCols} FROM uploads WHERE repo=@r AND branch=@b AND completion IS NULL AND key >= @lo AND key < @hi
              AND NOT (key = @km AND id <= @im) ORDER BY key, id LIMIT @n
            """, Text("r", repo), Text("b", branch), Text("lo", lo), Text("hi", hi), Text("km", keyMarker), Text("im", uploadIdMarker), Int("n", limit));
        return await ReadAllAsync(cmd, ReadUpload, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<UploadInfo>> ListUploadsCreatedBeforeAsync(DateTimeOffset before, int limit, CancellationToken ct)
    {
        await using var cmd = Cmd($"SELECT {UploadCols} FROM uploads WHERE created < @t ORDER BY created LIMIT @n",
            Long("t", before.ToUnixTimeMilliseconds()), Int("n", limit));
        return await ReadAllAsync(cmd, ReadUpload, ct).ConfigureAwait(false);
    }

    public async Task<long> CountUploadsAsync(CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT count(*) FROM uploads");
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is long n ? n : 0;
    }

    public async Task<bool> PutPartAsync(PartInfo p, long protectedSinceUnixMs, CancellationToken ct)
    {
        NpgsqlParameter[] Values() =>
        [
            Text("u", p.UploadId), Int("n", p.Number), Long("s", p.Size), Bytes("m", p.Md5),
            Bytes("c", BinaryCodec.Encode(w => BinaryCodec.WriteChunks(w, p.Chunks))),
            Bytes("cs", BinaryCodec.Encode(w => BinaryCodec.WritePairs(w, p.Checksums))), Long("t", p.Modified.ToUnixTimeMilliseconds()),
        ];
        await using var c = await _ds.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        // FOR SHARE keeps the upload from being completed or deleted (both lock it FOR UPDATE first)
        // until the part is in, yet lets parts of one upload arrive in parallel. A new number is
        // inserted here; an existing one is left for the replacement below.
        await using (var insert = CheckedBatch(c))
        {
            var inserted = Add(insert, """
                WITH u AS (SELECT id FROM uploads WHERE id=@u AND completion IS NULL FOR SHARE)
                INSERT INTO parts(upload_id, number, size, md5, chunks, checksums, modified)
                SELECT id, @n, @s, @m, @c, @cs, @t FROM u
                ON CONFLICT(upload_id, number) DO NOTHING
                """, Values());
            await ExecuteCheckedAsync(insert, protectedSinceUnixMs, ct).ConfigureAwait(false);
            if (inserted.RecordsAffected == 1)
            {
                await tx.CommitAsync(ct).ConfigureAwait(false);
                return true;
            }
        }
        // Replacing: the part row is locked before its chunks are recorded as a dropped root, so a
        // concurrent replacement of the same number records this one's chunks, not the ones before.
        await using (var replace = new NpgsqlBatch(c))
        {
            Add(replace, "INSERT INTO gc_dropped(kind, ref, dropped) SELECT @k, chunks, @now FROM parts WHERE upload_id=@u AND number=@n FOR UPDATE",
                Int("k", (int)DroppedKind.Chunks), Long("now", Now), Text("u", p.UploadId), Int("n", p.Number));
            Add(replace, """
                UPDATE parts SET size=@s, md5=@m, chunks=@c, checksums=@cs, modified=@t
                WHERE upload_id=@u AND number=@n AND EXISTS(SELECT 1 FROM uploads WHERE id=@u AND completion IS NULL)
                """, Values());
            await replace.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            if (replace.BatchCommands[1].RecordsAffected != 1)
            {
                // The upload is gone or completed (the insert above found no upload to lock).
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                return false;
            }
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }

    public async Task<IReadOnlyList<PartInfo>> ListPartsAsync(string uploadId, int afterNumber, int limit, CancellationToken ct)
    {
        await using var cmd = Cmd($"SELECT {PartCols} FROM parts WHERE upload_id=@u AND number > @a ORDER BY number LIMIT @n",
            Text("u", uploadId), Int("a", afterNumber), Int("n", limit));
        return await ReadAllAsync(cmd, ReadPart, ct).ConfigureAwait(false);
    }

    private const string PartCols = "upload_id, number, size, md5, chunks, checksums, modified";

    private static PartInfo ReadPart(NpgsqlDataReader r) => new(r.GetString(0), r.GetInt32(1), r.GetInt64(2), r.GetFieldValue<byte[]>(3),
        BinaryCodec.Decode(r.GetFieldValue<byte[]>(4), BinaryCodec.ReadChunks), BinaryCodec.Decode(r.GetFieldValue<byte[]>(5), BinaryCodec.ReadPairs),
        Time(r, 6));

    public async Task<bool> DeleteUploadAsync(string uploadId, CancellationToken ct)
    {
        // Lock the upload before dropping parts, so that no PutPart slips a part in between.
        await using var batch = _ds.CreateBatch();
        Add(batch, "SELECT 1 FROM uploads WHERE id=@u FOR UPDATE", Text("u", uploadId));
        AddDropParts(batch, uploadId);
        Add(batch, "DELETE FROM parts WHERE upload_id=@u", Text("u", uploadId));
        Add(batch, "DELETE FROM uploads WHERE id=@u", Text("u", uploadId));
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return batch.BatchCommands[3].RecordsAffected > 0;
    }

    public async Task MarkUploadCompletedAsync(string uploadId, IReadOnlyList<KeyValuePair<string, string>> completion, CancellationToken ct)
    {
        await using var batch = _ds.CreateBatch();
        Add(batch, "SELECT 1 FROM uploads WHERE id=@u FOR UPDATE", Text("u", uploadId));
        AddDropParts(batch, uploadId);
        Add(batch, "DELETE FROM parts WHERE upload_id=@u", Text("u", uploadId));
        Add(batch, "UPDATE uploads SET completion=@c WHERE id=@u",
            Text("u", uploadId), Bytes("c", BinaryCodec.Encode(w => BinaryCodec.WritePairs(w, completion))));
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Records the chunk lists of an upload's parts as dropped roots, before they are deleted (the upload is locked).</summary>
    private static void AddDropParts(NpgsqlBatch batch, string uploadId) =>
        Add(batch, "INSERT INTO gc_dropped(kind, ref, dropped) SELECT @k, chunks, @t FROM parts WHERE upload_id=@u ORDER BY number",
            Int("k", (int)DroppedKind.Chunks), Long("t", Now), Text("u", uploadId));
}
