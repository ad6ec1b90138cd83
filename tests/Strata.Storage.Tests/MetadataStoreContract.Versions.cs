using System.Text;
using Strata.Core;
using Strata.Core.Tree;

namespace Strata.Storage.Tests;

// The version index: listing by key in UTF-8 byte order then newest first, prefixes, markers, limits.
public abstract partial class MetadataStoreContract
{
    // '/', '-', '~' around the letters; "a" is a prefix of several; U+FF5E sorts before the emoji
    // in UTF-8 but after it in UTF-16, which is the case KeyOrder exists for.
    private static readonly string[] Keys =
        ["a", "a/b", "a-b", "a~", "ab", "a/b/c", "b", "B", "é", "e", "日本", "日", "😀", "\uFF5E", "\uE000", "z~", "~"];

    private static int Utf8Compare(string x, string y) => Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y));

    /// <summary>Three commits: all keys at height 1, every other key at 2, every third deleted at 3.</summary>
    private async Task<List<VersionRow>> WriteVersionsAsync(string repo = "r")
    {
        await Store.CreateBranchAsync(repo, "master", null, T0, Ct);
        var rows = new List<VersionRow>();
        await CommitOnAsync(repo, "master", versionsOf: c => Add(Keys.Select(k => Version(k, c))));
        await CommitOnAsync(repo, "master", versionsOf: c => Add(Keys.Where((_, i) => i % 2 == 0).Select(k => Version(k, c))));
        await CommitOnAsync(repo, "master", versionsOf: c => Add(Keys.Where((_, i) => i % 3 == 0).Select(k => Version(k, c, delete: true))));
        rows.Sort((x, y) => Utf8Compare(x.Key, y.Key) is var k and not 0 ? k : y.Height.CompareTo(x.Height));
        return rows;

        VersionRow[] Add(IEnumerable<VersionRow> vs)
        {
            var a = vs.ToArray();
            rows.AddRange(a);
            return a;
        }
    }

    private Task<IReadOnlyList<VersionRow>> ListAsync(string prefix, string keyMarker = "", long heightMarker = long.MaxValue, int limit = 1000, string repo = "r") =>
        Store.ListVersionsAsync(repo, prefix, keyMarker, heightMarker, limit, Ct);

    [Fact]
    public async Task VersionsAreListedInUtf8ByteOrderThenNewestFirst()
    {
        var expected = await WriteVersionsAsync();
        var listed = await ListAsync("");
        Assert.Equal(expected, listed);
        // The order the tree code uses (KeyOrder) is the same order.
        var keys = listed.Select(v => v.Key).Distinct().ToList();
        Assert.Equal(keys.Order(KeyOrder.Instance), keys);
        Assert.True(keys.IndexOf("\uFF5E") < keys.IndexOf("😀"));
        Assert.Equal(["a", "a-b", "a/b", "a/b/c", "ab", "a~"], keys.Where(k => k.StartsWith('a')));
    }

    [Fact]
    public async Task PrefixSelectsExactlyTheKeysThatStartWithIt()
    {
        var all = await WriteVersionsAsync();
        foreach (var prefix in new[] { "a", "a/", "a/b", "日", "😀", "~", "\uFF5E", "nothing", "" })
            Assert.Equal(all.Where(v => v.Key.StartsWith(prefix, StringComparison.Ordinal)), await ListAsync(prefix));
    }

    [Fact]
    public async Task MarkersResumeAfterTheLastRowAndPagesAddUpToTheWhole()
    {
        var all = await WriteVersionsAsync();
        foreach (var prefix in new[] { "", "a" })
            foreach (var limit in new[] { 1, 2, 5 })
            {
                var paged = new List<VersionRow>();
                var (key, height) = ("", long.MaxValue);
                while (true)
                {
                    var page = await ListAsync(prefix, key, height, limit);
                    Assert.True(page.Count <= limit);
                    if (page.Count == 0) break;
                    paged.AddRange(page);
                    (key, height) = (page[^1].Key, page[^1].Height);
                }
                Assert.Equal(all.Where(v => v.Key.StartsWith(prefix, StringComparison.Ordinal)), paged);
            }
    }

    [Fact]
    public async Task AKeyMarkerSkipsThatKeysNewerRowsOnly()
    {
        var all = await WriteVersionsAsync();
        // "a" has heights 3, 2, 1: below 3 leaves 2 and 1, then the keys after "a".
        Assert.Equal(all.SkipWhile(v => v.Key != "a").Skip(1), await ListAsync("", "a", 3));
        // A height marker of 1 skips all of the key's rows.
        Assert.Equal(all.Where(v => Utf8Compare(v.Key, "a") > 0), await ListAsync("", "a", 1));
        // A marker that is not a stored key: everything after it.
        Assert.Equal(all.Where(v => Utf8Compare(v.Key, "a0") > 0), await ListAsync("", "a0", long.MaxValue));
        // A marker before the prefix range starts at the prefix; one after it gives nothing.
        Assert.Equal(all.Where(v => v.Key.StartsWith('a')), await ListAsync("a", "A"));
        Assert.Empty(await ListAsync("a", "b"));
        Assert.Equal(all.Take(3), await ListAsync("", limit: 3));
    }

    [Fact]
    public async Task VersionsOfOtherReposAreNotListed()
    {
        var all = await WriteVersionsAsync("r");
        await Store.CreateBranchAsync("s", "master", null, T0, Ct);
        var other = await CommitOnAsync("s", "master", versionsOf: c => [Version("a", c), Version("zz", c)]);
        Assert.Equal(all, await ListAsync(""));
        Assert.Equal([Version("a", other), Version("zz", other)], await ListAsync("", repo: "s"));
        Assert.Empty(await ListAsync("", repo: "nope"));
    }

    [Fact]
    public async Task GetVersionFindsTheRowACommitWrote()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var c1 = await CommitOnAsync("r", "master", versionsOf: c => [Version("k", c), Version("日本/x", c)]);
        var c2 = await CommitOnAsync("r", "master", versionsOf: c => [Version("k", c, delete: true)]);
        Assert.Equal(Version("k", c1), await Store.GetVersionAsync("r", "k", c1.Id, Ct));
        var deleted = await Store.GetVersionAsync("r", "k", c2.Id, Ct);
        Assert.Equal(Version("k", c2, delete: true), deleted);
        Assert.True(deleted!.IsDelete);
        Assert.Equal(Version("日本/x", c1), await Store.GetVersionAsync("r", "日本/x", c1.Id, Ct));
        Assert.Null(await Store.GetVersionAsync("r", "日本/x", c2.Id, Ct));
        Assert.Null(await Store.GetVersionAsync("other", "k", c1.Id, Ct));
        Assert.Null(await Store.GetVersionAsync("r", "K", c1.Id, Ct));
    }
}
