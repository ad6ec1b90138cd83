using System.Net.Sockets;
using System.Security.Authentication;
using Npgsql;

namespace Strata.Storage.Postgres;

/// <summary>Why a PostgreSQL server could not be used, as the one line an operator needs.</summary>
internal static class PostgresErrors
{
    /// <summary>
    /// The server aborted the transaction to let another go on (a deadlock, or a serialization
    /// failure): nothing of it was written, and running it again is safe.
    /// </summary>
    public static bool LostToAnotherTransaction(PostgresException e) =>
        e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure;

    public static string Describe(string host, int port, Exception e)
    {
        var where = $"PostgreSQL at {(host.Contains(':') ? $"[{host}]" : host)}:{port}";
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case PostgresException p:
                    // MessageText is the server's own sentence: 'password authentication failed for user "x"',
                    // 'database "nope" does not exist', 'role "x" does not exist'.
                    return $"{where}: {FirstLine(p.MessageText)}";
                case SocketException s:
                    return $"{where}: {Socket(s)}";
                case TimeoutException or OperationCanceledException:
                    return $"{where}: connection timed out";
                case AuthenticationException a:
                    return $"{where}: TLS failed: {FirstLine(a.Message)}";
            }
        }
        return $"{where}: {FirstLine(e.Message)}";
    }

    private static string Socket(SocketException s) => s.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
        SocketError.TimedOut => "connection timed out",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "host unreachable",
        SocketError.ConnectionReset => "connection reset by the server",
        _ => FirstLine(s.Message),
    };

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
