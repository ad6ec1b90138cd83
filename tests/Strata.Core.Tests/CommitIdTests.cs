namespace Strata.Core.Tests;

public sealed class CommitIdTests
{
    /// <summary>
    /// Ids made in different milliseconds sort in the order they were made: that is what lets a
    /// group of commits share index pages (random ids would land on one random page each).
    /// </summary>
    [Fact]
    public void IdsMadeLaterSortLater()
    {
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(CommitId.New());
            Thread.Sleep(2);
        }
        Assert.All(ids, id => Assert.True(CommitId.IsValid(id), id));
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789ABCDEF0123456789ABCDEF", false)]
    [InlineData("0123456789abcdef0123456789abcde", false)]
    [InlineData("0123456789abcdef0123456789abcdeg", false)]
    public void OnlyLowercaseHexOf32IsValid(string id, bool valid) => Assert.Equal(valid, CommitId.IsValid(id));
}
