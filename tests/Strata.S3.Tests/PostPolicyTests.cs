using System.Text;
using Strata.S3.Errors;
using Strata.S3.Operations;

namespace Strata.S3.Tests;

public sealed class PostPolicyTests
{
    private static string B64(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json));
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static PostPolicy P(string conditions, string expiration = "2026-12-02T00:00:00.000Z") =>
        PostPolicy.Parse(B64($"{{\"expiration\":\"{expiration}\",\"conditions\":[{conditions}]}}"));

    [Fact]
    public void ConditionsMatchCaseInsensitiveNamesAndCaseSensitiveValues()
    {
        var p = P("""{"bUcKeT":"b"},["StArTs-WiTh","$KeY","up/"],["eq","$x-amz-meta-a","v"],["content-length-range",1,"10"]""");
        p.Check(new Dictionary<string, string> { ["bucket"] = "b", ["key"] = "up/x", ["x-amz-meta-a"] = "v", ["x-ignore-z"] = "1" }, Now);
        Assert.Equal((1L, 10L), p.LengthRange);
        var e = Assert.Throws<S3Exception>(() => p.Check(new Dictionary<string, string> { ["bucket"] = "b", ["key"] = "UP/x", ["x-amz-meta-a"] = "v" }, Now));
        Assert.Equal(S3ErrorCode.AccessDenied, e.Code);
        Assert.Equal(S3ErrorCode.EntityTooLarge, Assert.Throws<S3Exception>(() => p.CheckLength(11)).Code);
        Assert.Equal(S3ErrorCode.EntityTooSmall, Assert.Throws<S3Exception>(() => p.CheckLength(0)).Code);
    }

    [Fact]
    public void ExpiredAndExtraFieldsAreDenied()
    {
        var p = P("""{"bucket":"b"}""", "2026-11-30T00:00:00Z");
        Assert.Contains("Policy expired", Assert.Throws<S3Exception>(() => p.Check(new Dictionary<string, string> { ["bucket"] = "b" }, Now)).Message);
        var q = P("""{"bucket":"b"}""");
        Assert.Contains("Extra input fields: key", Assert.Throws<S3Exception>(() => q.Check(new Dictionary<string, string> { ["bucket"] = "b", ["key"] = "k" }, Now)).Message);
    }

    [Theory]
    [InlineData("""{"conditions":[]}""")]
    [InlineData("""{"expiration":"2026-12-02T00:00:00Z"}""")]
    [InlineData("""{"EXPIRATION":"2026-12-02T00:00:00Z","conditions":[]}""")]
    [InlineData("""{"expiration":"2026-12-02 00:00:00+00:00","conditions":[]}""")]
    [InlineData("""{"expiration":"2026-12-02T00:00:00Z","conditions":[{}]}""")]
    [InlineData("""{"expiration":"2026-12-02T00:00:00Z","conditions":[["content-length-range",0]]}""")]
    [InlineData("""{"expiration":"2026-12-02T00:00:00Z","conditions":[["content-length-range",-1,0]]}""")]
    [InlineData("""{"expiration":"2026-12-02T00:00:00Z","conditions":[["eq","key","x"]]}""")]
    [InlineData("""{"expiration":"2026-12-02T00:00:00Z","conditions":[["nope","$key","x"]]}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""not json""")]
    public void MalformedPoliciesAreInvalidPolicyDocument(string json) =>
        Assert.Equal(S3ErrorCode.InvalidPolicyDocument, Assert.Throws<S3Exception>(() => PostPolicy.Parse(B64(json))).Code);
}
