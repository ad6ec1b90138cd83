using Strata.Server;

ServerOptions options;
try
{
    options = ServerOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
await using var server = StrataServer.Create(options);
await server.StartAsync();
Console.WriteLine($"Strata S3 endpoint: {server.Endpoint}");
Console.WriteLine($"Data directory:     {server.DataDir}");
Console.WriteLine("Auth is OFF: credentials are accepted unchecked (local sandbox).");
await server.WaitForShutdownAsync();
return 0;
