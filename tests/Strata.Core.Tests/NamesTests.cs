using Strata.Core;

namespace Strata.Core.Tests;

public class NamesTests
{
    [Theory]
    [InlineData("master.images", "images", "master", null)]
    [InlineData("images", "images", "master", null)]
    [InlineData("dev-1.my_repo", "my_repo", "dev-1", null)]
    [InlineData("0123456789abcdef0123456789abcdef.master.images", "images", "master", "0123456789abcdef0123456789abcdef")]
    public void ParsesBuckets(string bucket, string repo, string branch, string? snapshot)
    {
        var b = Names.ParseBucket(bucket);
        Assert.NotNull(b);
        Assert.Equal((repo, branch, snapshot), (b.Repo, b.Branch, b.Snapshot));
        Assert.Equal(bucket.Contains('.') ? bucket : "master." + bucket, b.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData(".images")]
    [InlineData("master.")]
    [InlineData("a.b.c")]
    [InlineData("a.b.c.d")]
    [InlineData("bad name.repo")]
    [InlineData("master.im/ages")]
    [InlineData("master..images")]
    public void RejectsImpossibleBuckets(string bucket) => Assert.Null(Names.ParseBucket(bucket));

    [Theory]
    [InlineData("HEAD", "HEAD", 0, null)]
    [InlineData("HEAD^", "HEAD", 1, null)]
    [InlineData("master^", "master", 1, null)]
    [InlineData("HEAD^^", "HEAD", 2, null)]
    [InlineData("HEAD~3", "HEAD", 3, null)]
    [InlineData("HEAD^3", "HEAD", 3, null)]
    [InlineData("HEAD~", "HEAD", 1, null)]
    [InlineData("0123456789abcdef0123456789abcdef^", "0123456789abcdef0123456789abcdef", 1, null)]
    [InlineData("master.1", "master", 0, 1L)]
    [InlineData("master.12", "master", 0, 12L)]
    public void ParsesAncestry(string text, string b, int back, long? fromFirst)
    {
        var v = VersionExpr.Parse(text);
        Assert.NotNull(v);
        Assert.Equal((b, back, fromFirst), (v.Base, v.Back, v.FromFirst));
    }

    [Theory]
    [InlineData("")]
    [InlineData("^")]
    [InlineData("master.0")]
    [InlineData("master.x")]
    [InlineData("a b")]
    [InlineData("HEAD~99999999999")]
    public void RejectsBadAncestry(string text) => Assert.Null(VersionExpr.Parse(text));
}
