namespace Strata.S3;

public sealed class S3Options
{
    public string Region { get; set; } = "us-east-1";
    /// <summary>Owner shown in listings and ACLs.</summary>
    public string OwnerId { get; set; } = "strata";
    public string OwnerName { get; set; } = "strata";
    /// <summary>Off: a local sandbox that serves unsigned requests.</summary>
    public bool AuthEnabled { get; set; } = true;
}
