namespace Strata.S3;

public sealed class S3Options
{
    public string Region { get; set; } = "us-east-1";
    /// <summary>Owner shown in listings and ACLs.</summary>
    public string OwnerId { get; set; } = "strata";
    public string OwnerName { get; set; } = "strata";
    /// <summary>Off: a local sandbox that serves unsigned requests.</summary>
    public bool AuthEnabled { get; set; } = true;
    /// <summary>Domains served virtual-hosted style: Host bucket.domain addresses bucket; Host domain (or any other) is path-style.</summary>
    public IReadOnlyList<string> Domains { get; set; } = [];

    /// <summary>User metadata (x-amz-meta-* names without the prefix, plus values, in UTF-8) per object: S3's 2 KB.</summary>
    public int MaxMetadataBytes { get; set; } = 2048;
    /// <summary>All request headers together (names and values), S3's 8 KB: beyond it, RequestHeaderSectionTooLarge.</summary>
    public int MaxHeaderBytes { get; set; } = 8192;
    /// <summary>Request headers per request.</summary>
    public int MaxHeaderCount { get; set; } = 100;
}
