using Strata.S3.Tests;

namespace Strata.Core.Tests;

/// <summary>Version expressions and bucket names come from clients: parsing them never throws, it answers null.</summary>
public sealed class NameFuzzTests
{
    [Fact]
    public void VersionExpressionsAndBucketNames() => Fuzz.Check(
        Fuzz.Text("master^", "HEAD~3", "HEAD^^2", "master.12", "c0ffee00c0ffee00c0ffee00c0ffee00^", "master~99999999999", "a.b.c"),
        text =>
        {
            _ = VersionExpr.Parse(text);
            _ = Names.ParseBucket(text);
            _ = Names.NewBucketRuleBroken(text);
            _ = Names.IsValidName(text);
        },
        _ => false);
}
