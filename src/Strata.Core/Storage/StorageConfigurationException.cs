namespace Strata.Core.Storage;

/// <summary>
/// A backend cannot be used as configured (unreachable, refused credentials, missing bucket or
/// database, a URL that does not parse). The message is one line meant for the operator.
/// </summary>
public sealed class StorageConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
