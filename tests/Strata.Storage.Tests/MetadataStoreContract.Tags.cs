using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Storage.Tests;

// Object tags per version and per-bucket configuration documents.
public abstract partial class MetadataStoreContract
{
    [Fact]
    public async Task ObjectTagsBelongToOneVersionOfOneKeyAndKeepTheirOrderAndCharacters()
    {
        Assert.Empty(await Store.GetObjectTagsAsync("r", "k", "c1", Ct));
        List<KeyValuePair<string, string>> tags = [new("z", "1"), new("a b&c=d", "wert ü %20+"), new("empty", "")];
        await Store.SetObjectTagsAsync("r", "k", "c1", tags, Ct);
        Assert.Equal(tags, await Store.GetObjectTagsAsync("r", "k", "c1", Ct));
        // Another version, key or repo has its own (none).
        Assert.Empty(await Store.GetObjectTagsAsync("r", "k", "c2", Ct));
        Assert.Empty(await Store.GetObjectTagsAsync("r", "K", "c1", Ct));
        Assert.Empty(await Store.GetObjectTagsAsync("r2", "k", "c1", Ct));
        await Store.SetObjectTagsAsync("r", "k", "c2", [new("v", "2")], Ct);

        // Replacing is whole; an empty set removes them; removing what is not there is fine.
        await Store.SetObjectTagsAsync("r", "k", "c1", [new("only", "one")], Ct);
        Assert.Equal([new("only", "one")], await Store.GetObjectTagsAsync("r", "k", "c1", Ct));
        await Store.SetObjectTagsAsync("r", "k", "c1", [], Ct);
        Assert.Empty(await Store.GetObjectTagsAsync("r", "k", "c1", Ct));
        await Store.SetObjectTagsAsync("r", "k", "c1", [], Ct);
        Assert.Equal([new("v", "2")], await Store.GetObjectTagsAsync("r", "k", "c2", Ct));
    }

    [Fact]
    public async Task TagsOfANewVersionAreStoredWithItsCommitAndNotWhenTheCommitLosesItsRace()
    {
        Assert.True(await Store.CreateBranchAsync("r", "master", null, T0, Ct));
        List<KeyValuePair<string, string>> tags = [new("team", "ml"), new("pii", "no")];
        var first = Commit("r", 1);
        VersionRow Row(CommitInfo c, string key, IReadOnlyList<KeyValuePair<string, string>>? t) =>
            new(key, c.Id, c.Height, false, 1, "e", c.TimeUnixMs) { Tags = t };
        Assert.True(await Store.TryCommitChainAsync("master", null, [new NewCommit(first, [Row(first, "tagged", tags), Row(first, "plain", null)])], [], 999, Ct));
        Assert.Equal(tags, await Store.GetObjectTagsAsync("r", "tagged", first.Id, Ct));
        Assert.Empty(await Store.GetObjectTagsAsync("r", "plain", first.Id, Ct));
        // A commit whose CAS fails (the head moved) stores nothing, its tags included.
        var lost = Commit("r", 1, message: "lost");
        Assert.False(await Store.TryCommitChainAsync("master", null, [new NewCommit(lost, [Row(lost, "tagged", tags)])], [], 999, Ct));
        Assert.Empty(await Store.GetObjectTagsAsync("r", "tagged", lost.Id, Ct));
    }

    [Fact]
    public async Task BucketConfigurationIsKeptPerBranchAndKindAndGoesWithTheBranch()
    {
        Assert.True(await Store.CreateBranchAsync("r", "master", null, T0, Ct));
        Assert.True(await Store.CreateBranchAsync("r", "dev", null, T0, Ct));
        Assert.Null(await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Cors, Ct));
        await Store.SetBucketConfigAsync("r", "master", BucketConfigKind.Cors, "<CORSConfiguration>ü</CORSConfiguration>", Ct);
        await Store.SetBucketConfigAsync("r", "master", BucketConfigKind.Tagging, "a=1", Ct);
        await Store.SetBucketConfigAsync("r", "dev", BucketConfigKind.Cors, "dev rules", Ct);
        Assert.Equal("<CORSConfiguration>ü</CORSConfiguration>", await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Cors, Ct));
        Assert.Equal("a=1", await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Tagging, Ct));
        Assert.Equal("dev rules", await Store.GetBucketConfigAsync("r", "dev", BucketConfigKind.Cors, Ct));
        Assert.Null(await Store.GetBucketConfigAsync("r", "Master", BucketConfigKind.Cors, Ct));

        await Store.SetBucketConfigAsync("r", "master", BucketConfigKind.Cors, "new", Ct);
        Assert.Equal("new", await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Cors, Ct));
        await Store.SetBucketConfigAsync("r", "master", BucketConfigKind.Cors, null, Ct);
        Assert.Null(await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Cors, Ct));
        Assert.Equal("a=1", await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Tagging, Ct));

        await Store.DeleteBucketConfigsAsync("r", "master", Ct);
        Assert.Null(await Store.GetBucketConfigAsync("r", "master", BucketConfigKind.Tagging, Ct));
        Assert.Equal("dev rules", await Store.GetBucketConfigAsync("r", "dev", BucketConfigKind.Cors, Ct));
    }
}
