using Strata.S3.Errors;
using Strata.S3.Operations;

namespace Strata.S3.Tests;

public class RangeHeaderTests
{
    [Theory]
    [InlineData("bytes=0-0", 100, 0, 1)]
    [InlineData("bytes=0-99", 100, 0, 100)]
    [InlineData("bytes=10-", 100, 10, 90)]
    [InlineData("bytes=90-200", 100, 90, 10)]
    [InlineData("bytes=-10", 100, 90, 10)]
    [InlineData("bytes=-500", 100, 0, 100)]
    [InlineData(" bytes=5-9 ", 100, 5, 5)]
    public void Satisfiable(string header, long size, long start, long length) =>
        Assert.Equal((start, length), RangeHeader.Parse(header, size));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("items=0-5")]
    [InlineData("bytes=0-1,4-5")]
    [InlineData("bytes=0-1,200-300")]
    [InlineData("bytes=200-300,abc")]
    [InlineData("bytes=abc")]
    [InlineData("bytes=5-2")]
    [InlineData("bytes=-")]
    public void IgnoredAsS3Does(string? header) => Assert.Null(RangeHeader.Parse(header, 100));

    [Theory]
    [InlineData("bytes=100-", 100)]
    [InlineData("bytes=100-200", 100)]
    [InlineData("bytes=-0", 100)]
    [InlineData("bytes=0-", 0)]
    [InlineData("bytes=-5", 0)]
    [InlineData("bytes=100-200,300-400", 100)]
    [InlineData("bytes=150-, -0", 100)]
    public void Unsatisfiable(string header, long size)
    {
        var e = Assert.Throws<S3Exception>(() => RangeHeader.Parse(header, size));
        Assert.Equal(S3ErrorCode.InvalidRange, e.Code);
        Assert.Equal(416, e.Status);
        Assert.Equal($"bytes */{size}", e.Headers["Content-Range"]);
    }
}
