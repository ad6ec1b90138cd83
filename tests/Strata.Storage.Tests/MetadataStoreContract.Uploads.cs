using Strata.Core;

namespace Strata.Storage.Tests;

// Multipart upload metadata: uploads listed by key then id, parts replaced by number.
public abstract partial class MetadataStoreContract
{
    private static UploadInfo Upload(string id, string key, string branch = "master", int minutes = 0, string? algorithm = null) =>
        new(id, "r", branch, key, T0.AddMinutes(minutes), [new("Content-Type", "text/plain"), new("x-amz-meta-ü", "wert ü")],
            algorithm, algorithm is null ? null : "COMPOSITE");

    private static PartInfo Part(string uploadId, int number, long size = 100) =>
        new(uploadId, number, size, [.. Enumerable.Range(0, 16).Select(i => (byte)(i * number))],
            [new(Hash.Of([(byte)number]), 60), new(Hash.Of([(byte)number, 1]), (int)size - 60)],
            [new("CRC32", $"crc-{number}-{size}")], T0.AddSeconds(number));

    private static void AssertSame(UploadInfo expected, UploadInfo? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal((expected.Id, expected.Repo, expected.Branch, expected.Key, expected.Created, expected.ChecksumAlgorithm, expected.ChecksumType),
            (actual.Id, actual.Repo, actual.Branch, actual.Key, actual.Created, actual.ChecksumAlgorithm, actual.ChecksumType));
        Assert.Equal(expected.Headers, actual.Headers);
        Assert.Equal(expected.Completion, actual.Completion);
    }

    private static void AssertSame(PartInfo expected, PartInfo actual)
    {
        Assert.Equal((expected.UploadId, expected.Number, expected.Size, expected.Modified), (actual.UploadId, actual.Number, actual.Size, actual.Modified));
        Assert.Equal(expected.Md5, actual.Md5);
        Assert.Equal(expected.Chunks, actual.Chunks);
        Assert.Equal(expected.Checksums, actual.Checksums);
    }

    private async Task<List<string>> ListUploadIdsAsync(string prefix, string keyMarker = "", string idMarker = "", int limit = 100, string branch = "master") =>
        [.. (await Store.ListUploadsAsync("r", branch, prefix, keyMarker, idMarker, limit, Ct)).Select(u => u.Id)];

    [Fact]
    public async Task UploadsAreCountedOnEveryBranch()
    {
        Assert.Equal(0, await Store.CountUploadsAsync(Ct));
        await Store.CreateUploadAsync(Upload("u1", "k"), Ct);
        await Store.CreateUploadAsync(Upload("u2", "k", branch: "dev"), Ct);
        await Store.CreateUploadAsync(Upload("u3", "other"), Ct);
        Assert.Equal(3, await Store.CountUploadsAsync(Ct));
        Assert.True(await Store.DeleteUploadAsync("u2", Ct));
        Assert.Equal(2, await Store.CountUploadsAsync(Ct));
    }

    [Fact]
    public async Task UploadsRoundTripEveryField()
    {
        Assert.Null(await Store.GetUploadAsync("nope", Ct));
        var plain = Upload("u1", "日本/key~1");
        var withChecksum = Upload("u2", "k", algorithm: "SHA256");
        await Store.CreateUploadAsync(plain, Ct);
        await Store.CreateUploadAsync(withChecksum, Ct);
        AssertSame(plain, await Store.GetUploadAsync("u1", Ct));
        AssertSame(withChecksum, await Store.GetUploadAsync("u2", Ct));
        Assert.False((await Store.GetUploadAsync("u1", Ct))!.IsCompleted);
    }

    [Fact]
    public async Task UploadsAreListedByKeyThenIdFromTheMarkers()
    {
        // Created out of order; ids sort in byte order too ("B" < "a").
        foreach (var (id, key) in new[] { ("b", "k2"), ("a", "k2"), ("B", "k2"), ("x", "k1"), ("y", "k-"), ("z", "j"), ("w", "k2/x"), ("v", "k2é") })
            await Store.CreateUploadAsync(Upload(id, key), Ct);
        await Store.CreateUploadAsync(Upload("other-branch", "k2", branch: "dev"), Ct);
        Assert.Equal(["z", "y", "x", "B", "a", "b", "w", "v"], await ListUploadIdsAsync(""));
        Assert.Equal(["y", "x", "B", "a", "b", "w", "v"], await ListUploadIdsAsync("k"));
        Assert.Equal(["B", "a", "b", "w", "v"], await ListUploadIdsAsync("k2"));
        Assert.Equal(["w"], await ListUploadIdsAsync("k2/"));
        Assert.Equal(["other-branch"], await ListUploadIdsAsync("", branch: "dev"));
        // Markers: the rest of the marker key's uploads after the id, then the later keys.
        Assert.Equal(["b", "w", "v"], await ListUploadIdsAsync("", "k2", "a"));
        Assert.Equal(["B", "a", "b", "w", "v"], await ListUploadIdsAsync("", "k2", ""));
        Assert.Equal(["w", "v"], await ListUploadIdsAsync("k", "k2", "b"));
        Assert.Equal(["B", "a", "b", "w", "v"], await ListUploadIdsAsync("k2", "a", "zzz"));
        Assert.Equal(["y", "x"], await ListUploadIdsAsync("k", limit: 2));
        Assert.Empty(await ListUploadIdsAsync("k", "l", ""));
    }

    [Fact]
    public async Task UploadsCreatedBeforeAreOldestFirst()
    {
        await Store.CreateUploadAsync(Upload("new", "a", minutes: 30), Ct);
        await Store.CreateUploadAsync(Upload("old", "b", minutes: 10), Ct);
        await Store.CreateUploadAsync(Upload("older", "c", minutes: 5), Ct);
        await Store.CreateUploadAsync(Upload("done", "d", minutes: 1), Ct);
        await Store.MarkUploadCompletedAsync("done", [new("ETag", "\"x\"")], Ct);
        // Completed uploads are listed too: the sweep drops them once they are old.
        Assert.Equal(["done", "older", "old"], (await Store.ListUploadsCreatedBeforeAsync(T0.AddMinutes(20), 10, Ct)).Select(u => u.Id));
        Assert.Equal(["done", "older"], (await Store.ListUploadsCreatedBeforeAsync(T0.AddMinutes(20), 2, Ct)).Select(u => u.Id));
        Assert.Empty(await Store.ListUploadsCreatedBeforeAsync(T0.AddMinutes(1), 10, Ct));
    }

    [Fact]
    public async Task PartsAreReplacedByNumberAndListedInOrder()
    {
        await Store.CreateUploadAsync(Upload("u", "k"), Ct);
        foreach (var n in new[] { 3, 1, 2, 10 })
            Assert.True(await Store.PutPartAsync(Part("u", n), long.MaxValue, Ct));
        var replaced = Part("u", 2, size: 500);
        Assert.True(await Store.PutPartAsync(replaced, long.MaxValue, Ct));
        var parts = await Store.ListPartsAsync("u", 0, 100, Ct);
        Assert.Equal([1, 2, 3, 10], parts.Select(p => p.Number));
        AssertSame(Part("u", 1), parts[0]);
        AssertSame(replaced, parts[1]);
        Assert.Equal([3], (await Store.ListPartsAsync("u", 2, 1, Ct)).Select(p => p.Number));
        Assert.Equal([10], (await Store.ListPartsAsync("u", 3, 100, Ct)).Select(p => p.Number));
        Assert.Empty(await Store.ListPartsAsync("u", 10, 100, Ct));
        Assert.Empty(await Store.ListPartsAsync("other", 0, 100, Ct));
    }

    [Fact]
    public async Task PartsOfMissingOrCompletedUploadsAreRefused()
    {
        Assert.False(await Store.PutPartAsync(Part("missing", 1), long.MaxValue, Ct));
        Assert.Empty(await Store.ListPartsAsync("missing", 0, 100, Ct));
        await Store.CreateUploadAsync(Upload("u", "k"), Ct);
        Assert.True(await Store.PutPartAsync(Part("u", 1), long.MaxValue, Ct));
        Assert.True(await Store.PutPartAsync(Part("u", 2), long.MaxValue, Ct));
        var completion = new KeyValuePair<string, string>[] { new("ETag", "\"abc-2\""), new("Location", "/b/k") };
        await Store.MarkUploadCompletedAsync("u", completion, Ct);
        var done = await Store.GetUploadAsync("u", Ct);
        Assert.True(done!.IsCompleted);
        Assert.Equal(completion, done.Completion);
        Assert.Empty(await Store.ListPartsAsync("u", 0, 100, Ct));
        Assert.Empty(await ListUploadIdsAsync(""));
        Assert.False(await Store.PutPartAsync(Part("u", 3), long.MaxValue, Ct));
        Assert.Empty(await Store.ListPartsAsync("u", 0, 100, Ct));
    }

    [Fact]
    public async Task DeletingAnUploadDropsItsParts()
    {
        Assert.False(await Store.DeleteUploadAsync("missing", Ct));
        await Store.CreateUploadAsync(Upload("u", "k"), Ct);
        await Store.CreateUploadAsync(Upload("keep", "k"), Ct);
        await Store.PutPartAsync(Part("u", 1), long.MaxValue, Ct);
        await Store.PutPartAsync(Part("keep", 1), long.MaxValue, Ct);
        Assert.True(await Store.DeleteUploadAsync("u", Ct));
        Assert.Null(await Store.GetUploadAsync("u", Ct));
        Assert.Empty(await Store.ListPartsAsync("u", 0, 100, Ct));
        Assert.False(await Store.DeleteUploadAsync("u", Ct));
        Assert.False(await Store.PutPartAsync(Part("u", 2), long.MaxValue, Ct));
        Assert.Equal(["keep"], await ListUploadIdsAsync(""));
        Assert.Single(await Store.ListPartsAsync("keep", 0, 100, Ct));
    }

    [Fact]
    public async Task NoPartSurvivesACompletionOrDeletionItRacedWith()
    {
        for (var round = 0; round < 20; round++)
        {
            var id = $"u{round}";
            await Store.CreateUploadAsync(Upload(id, "k"), Ct);
            var puts = Enumerable.Range(1, 8).Select(n => Task.Run(() => Store.PutPartAsync(Part(id, n), long.MaxValue, Ct))).ToList();
            var end = Task.Run(() => round % 2 == 0
                ? Store.MarkUploadCompletedAsync(id, [new("ETag", "\"x\"")], Ct)
                : Store.DeleteUploadAsync(id, Ct));
            await Task.WhenAll(puts);
            await end;
            Assert.Empty(await Store.ListPartsAsync(id, 0, 100, Ct));
        }
    }
}
